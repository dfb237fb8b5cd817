import { whenRedisReady } from '@mira/redis';
import { handleWhen, retry } from 'cockatiel';
import { BrokerError } from '../broker.error';
import type { TransportSubscription } from '../broker.message';
import type { MessageHandler } from '../broker.interface';
import type { AckBatcher } from './redis-ack.batcher';
import { errorText } from './redis.codec';
import type { RedisConnection } from './redis.connection';
import type { RedisDeadLetters } from './redis.dead-letters';
import type { HeldEntry } from './redis.delivery';
import { JitteredBackoff } from './redis.policies';
import type { RedisRuntime } from './redis.runtime';

// What a consumer is made of, and its membership of its group: created before reading, left
// (or the whole ephemeral group destroyed) when the subscription ends.

/** What the consumer shares with the rest of the transport. */
export interface RedisConsumerDeps {
  runtime: RedisRuntime;
  connection: RedisConnection;
  acks: AckBatcher<HeldEntry | null>;
  deadLetters: RedisDeadLetters;
}

export interface RedisConsumerSpec {
  sub: TransportSubscription;
  handler: MessageHandler<any>;
  /** Consumer name in the group, unique per process and subscription. */
  name: string;
  group: string;
  /** A subscription without a group gets a group of its own, removed when it ends. */
  ephemeral: boolean;
  /** Stream key of each message type. */
  streams: ReadonlyMap<string, string>;
  /** Role of its reader client (`reader-<n>`), as RedisTransportOptions.createClient sees it. */
  readerRole: string;
}

/**
 * `$` for a new subscription: like the memory transport, it sees messages published from now on.
 * `0` when a group went missing (Redis restarted without persistence, FLUSHALL): whatever is in
 * the stream then was published after the loss (a publish recreates the stream before the reader
 * notices) and nobody has read it yet, so nothing may be skipped.
 */
export async function ensureGroups(
  connection: RedisConnection,
  streams: readonly string[],
  group: string,
  from: '$' | '0',
  rt: RedisRuntime,
): Promise<void> {
  // Long enough for one reconnect: the socket timeout plus the longest backoff delay.
  const readyWaitMs = rt.options.commandTimeoutMs + rt.options.reconnectMaxDelayMs;
  for (const stream of streams)
    await connectionBlips.execute(async () => {
      const client = connection.require();
      if (client.status === 'end')
        throw new BrokerError('BROKER_UNAVAILABLE', 'the Redis command connection is closed', true);
      // After a dropped socket (a stalled event loop outlasting command_timeout_ms, e.g. during
      // app start) ioredis is reconnecting: wait for it rather than fail the subscription.
      await whenRedisReady(client, readyWaitMs, { failOnEnd: true });
      try {
        await client.xgroup('CREATE', stream, group, from, 'MKSTREAM');
      } catch (err) {
        if (!errorText(err).includes('BUSYGROUP')) throw err;
      }
    });
}

/**
 * A few attempts for failures of the connection (socket timeout, closed, reconnecting), none for
 * Redis' own replies (WRONGTYPE, NOPERM, ...) or a transport that is stopped.
 */
const connectionBlips = retry(
  handleWhen((err) => !(err instanceof BrokerError) && (err as Error)?.name !== 'ReplyError'),
  // Retries after the first try: three tries in all.
  { maxAttempts: 2, backoff: new JitteredBackoff(100, 1000).factory },
).dangerouslyUnref();

/** Deletes the consumer when it holds nothing (never with pending entries); ephemeral groups go entirely. */
export async function retireConsumer(
  rt: RedisRuntime,
  connection: RedisConnection,
  c: {
    readonly streams: readonly string[];
    readonly group: string;
    readonly name: string;
    readonly ephemeral: boolean;
  },
): Promise<void> {
  const client = connection.client;
  if (!client || client.status !== 'ready') return;
  try {
    if (c.ephemeral) {
      for (const s of c.streams) await client.xgroup('DESTROY', s, c.group);
      return;
    }
    for (const s of c.streams) {
      const mine = (await client.xpending(s, c.group, '-', '+', 1, c.name)) as unknown[];
      if (mine.length > 0) {
        rt.log.warn(`Consumer ${c.name} keeps pending entries on ${s}; another replica will reclaim them`);
        return;
      }
    }
    for (const s of c.streams) await client.xgroup('DELCONSUMER', s, c.group, c.name);
  } catch (err) {
    rt.log.warn(`Could not clean up consumer ${c.name}: ${errorText(err)}`);
  }
}
