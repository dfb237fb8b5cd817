import { randomBytes } from 'node:crypto';
import {
  useRedisServer as useTestRedisServer,
  type RedisTestServer,
} from '../../../../apps/mira/test/support/redis-server';
import { TransportSubscription } from '../broker.message';
import type { MessageHandler } from '../broker.interface';
import { RedisConnection } from './redis.connection';
import { consumerAcks } from './redis-ack.batcher';
import { RedisConsumer } from './redis.consumer';
import { RedisDeadLetters } from './redis.dead-letters';
import type { RedisBrokerObserver, RedisTransportOptions } from './redis.interface';
import { newRuntime, type RedisRuntime } from './redis.runtime';

/** Test-only wiring of the Redis transport's collaborators (never exported from index.ts). */

/** A stream prefix of its own per test: tests never see each other's streams. */
export const testPrefix = (): string => `u${randomBytes(3).toString('hex')}:`;

/** Small timings so retries, reclaims and polls happen within a test. */
export function testOptions(url: string, extra: Partial<RedisTransportOptions> = {}): RedisTransportOptions {
  return {
    url,
    streamPrefix: testPrefix(),
    visibilityTimeoutMs: 1000,
    maxlen: 10000,
    blockMs: 200,
    batchSize: 16,
    maxInFlight: 32,
    maxAttempts: 3,
    commandTimeoutMs: 2000,
    reconnectMaxDelayMs: 200,
    retryBaseMs: 10,
    retryMaxMs: 50,
    health: { lagDegraded: 0, lagUnhealthy: 0, pendingDegraded: 0, pendingUnhealthy: 0 },
    ...extra,
  };
}

/** Every event a RedisBrokerObserver can see, in order. */
export function recordingObserver(): RedisBrokerObserver & { events: string[] } {
  const events: string[] = [];
  return {
    events,
    onPublished: (type) => events.push(`published ${type}`),
    onDelivered: (type, group) => events.push(`delivered ${type} ${group}`),
    onFailed: (type, group) => events.push(`failed ${type} ${group}`),
    onRetried: (type, group, attempt) => events.push(`retried ${type} ${group} ${attempt}`),
    onReclaimed: (type, group, count) => events.push(`reclaimed ${type} ${group} ${count}`),
    onDeadLettered: (type, group) => events.push(`dead-lettered ${type} ${group}`),
  };
}

export interface RedisParts {
  rt: RedisRuntime;
  connection: RedisConnection;
  deadLetters: RedisDeadLetters;
  /** A consumer of `types` in `group` (default: a group of its own), groups created, not yet reading. */
  consumer(types: string[], handler: MessageHandler<any>, group?: string): Promise<RedisConsumer>;
  consumers: RedisConsumer[];
  /** Stops every consumer and closes the connection. */
  close(): Promise<void>;
}

/** The collaborators wired as RedisTransport wires them, on an open connection. */
export async function redisParts(options: RedisTransportOptions, name = 'spec'): Promise<RedisParts> {
  const rt = newRuntime(options);
  const connection = new RedisConnection(rt, name);
  await connection.open();
  rt.lifecycle.started = true;
  const acks = consumerAcks(rt, connection);
  const deadLetters = new RedisDeadLetters(rt, connection);
  const consumers: RedisConsumer[] = [];
  let seq = 0;
  return {
    rt,
    connection,
    deadLetters,
    consumers,
    async consumer(types, handler, group) {
      const n = ++seq;
      const c = new RedisConsumer(
        { runtime: rt, connection, acks, deadLetters },
        {
          sub: new TransportSubscription(`sub-${n}`, types, group ?? `sub-${n}`, {
            unsubscribe: async () => undefined,
          }),
          handler,
          name: `${name}-${n}`,
          group: group ?? `~${name}-${n}`,
          ephemeral: group === undefined,
          streams: new Map(types.map((t) => [t, options.streamPrefix + t])),
          readerRole: `reader-${n}`,
        },
      );
      await c.ensureGroups();
      consumers.push(c);
      return c;
    },
    async close() {
      rt.lifecycle.accepting = false;
      rt.lifecycle.stopped = true;
      await Promise.all(consumers.map((c) => c.stopReading()));
      for (const c of consumers) c.abandonRetries();
      await connection.close();
    },
  };
}

export interface RedisSpecServer extends RedisTestServer {
  /** `redisParts` on the server with `testOptions(url, extra)`, closed in afterAll. */
  parts(extra?: Partial<RedisTransportOptions>): Promise<RedisParts>;
}

/** A real redis-server for the describe block (see useRedisServer in test support), plus `parts`. */
export function useRedisServer(): RedisSpecServer {
  const redis = useTestRedisServer({ maxRetriesPerRequest: 1 });
  return {
    get server() {
      return redis.server;
    },
    get url() {
      return redis.url;
    },
    get admin() {
      return redis.admin;
    },
    onCleanup: (fn) => redis.onCleanup(fn),
    async parts(extra = {}) {
      const p = await redisParts(testOptions(redis.url, extra));
      redis.onCleanup(() => p.close());
      return p;
    },
  };
}
