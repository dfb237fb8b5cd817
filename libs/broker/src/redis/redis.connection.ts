import type { Redis as RedisClient, RedisOptions } from 'ioredis';
import { BrokerError } from '../broker.error';
import { errorText } from './redis.codec';
import { redactUrl } from './redis.options';
import { JitteredBackoff } from './redis.policies';
import type { RedisRuntime } from './redis.runtime';

/**
 * The transport's Redis clients: one command connection (publish, ack, claims, health) and one
 * blocking reader per subscription. Never queues while disconnected, reconnects with backoff and
 * logs each loss and recovery once. ioredis is loaded in open(), so the core never pays for it.
 */
export class RedisConnection {
  private commands: RedisClient | null = null;
  private Redis: typeof RedisClient | null = null;

  constructor(
    private readonly rt: RedisRuntime,
    private readonly consumerName: string,
  ) {}

  /** The command client; null before open() and after close(). */
  get client(): RedisClient | null {
    return this.commands;
  }

  get ready(): boolean {
    return this.commands?.status === 'ready';
  }

  /** The command client, or a retryable BROKER_UNAVAILABLE before open() / after close(). */
  require(): RedisClient {
    const c = this.commands;
    if (!c) throw new BrokerError('BROKER_UNAVAILABLE', 'Redis transport is not started', true);
    return c;
  }

  /** Connects the command client and checks it answers; fails with one message naming the key. */
  async open(): Promise<void> {
    const mod = await import('ioredis');
    this.Redis = (mod.Redis ??
      (mod as unknown as { default: typeof RedisClient }).default) as typeof RedisClient;
    const url = this.rt.options.url;
    const client = new this.Redis(url, this.optionsFor('cmd'));
    this.watch(client, 'command');
    try {
      await client.connect();
      await client.ping();
    } catch (err) {
      client.disconnect();
      throw new BrokerError(
        'BROKER_UNAVAILABLE',
        `broker.redis.url: Redis at ${redactUrl(url)} is unreachable (${errorText(err)}); start Redis or fix broker.redis.url (MIRA_BROKER__REDIS__URL)`,
        true,
      );
    }
    this.commands = client;
  }

  /** A blocking client for one subscription's XREADGROUP (connects on its own). */
  async reader(label: string): Promise<RedisClient> {
    const reader = this.require().duplicate(this.optionsFor('reader'));
    this.watch(reader, label);
    return reader;
  }

  /** Wakes a reader blocked in XREADGROUP now instead of after block_ms. */
  async unblock(clientId: number): Promise<void> {
    const c = this.commands;
    if (c?.status === 'ready') await c.call('CLIENT', 'UNBLOCK', clientId).catch(() => undefined);
  }

  async close(): Promise<void> {
    const commands = this.commands;
    this.commands = null;
    if (commands) await quit(commands);
  }

  private optionsFor(role: 'cmd' | 'reader'): RedisOptions {
    const o = this.rt.options;
    const reconnect = new JitteredBackoff(50, o.reconnectMaxDelayMs);
    return {
      lazyConnect: role === 'cmd',
      connectionName: `mira-${role}-${this.consumerName}`,
      // Never queue while disconnected: a publish during an outage must fail now, not vanish later.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      connectTimeout: o.commandTimeoutMs,
      ...(role === 'cmd'
        ? // socketTimeout (one timer per socket) rather than commandTimeout (one timer per command):
          // a dead connection still fails the commands on it, at no per-publish cost.
          { enableAutoPipelining: true, socketTimeout: o.commandTimeoutMs }
        : { blockingTimeout: o.blockMs, blockingTimeoutGrace: o.commandTimeoutMs }),
      // ioredis keeps its own reconnect loop (it owns the socket); cockatiel's generator only
      // computes each delay, so reconnects back off like every other retry here.
      retryStrategy: (times: number) => reconnect.delay(times),
    };
  }

  /** Logs connection loss and recovery once each, not once per reconnect attempt. */
  private watch(client: RedisClient, role: string): void {
    const life = this.rt.lifecycle;
    let lost = false;
    client.on('error', (err: Error) => {
      if (!lost && life.started && !life.stopped)
        this.rt.log.warnOnce(`Redis ${role} connection error: ${err.message}`);
    });
    client.on('close', () => {
      if (!lost && life.started && !life.stopped) {
        lost = true;
        this.rt.log.warn(`Redis ${role} connection lost; reconnecting with backoff`);
      }
    });
    client.on('ready', () => {
      if (lost) this.rt.log.log(`Redis ${role} connection restored`);
      lost = false;
    });
  }
}

/** QUIT, or a hard disconnect when the connection cannot say goodbye. */
export function quit(client: RedisClient): Promise<unknown> {
  return client.quit().catch(() => client.disconnect());
}
