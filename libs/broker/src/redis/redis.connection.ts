import { quitRedisClient, redactRedisText, redactRedisUrl, whenRedisReady } from '@mira/redis';
import type { Redis as RedisClient, RedisOptions } from 'ioredis';
import { BrokerError } from '../broker.error';
import { errorText } from './redis.codec';
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
    const url = this.rt.options.url;
    let client: RedisClient | null = null;
    try {
      client = await this.create('commands', this.optionsFor('cmd'));
      this.watch(client, 'command');
      // A factory may hand out a lazy client or one already connecting.
      await whenRedisReady(client, this.rt.options.commandTimeoutMs, { failOnEnd: true });
      await client.ping();
    } catch (err) {
      client?.disconnect();
      throw new BrokerError(
        'BROKER_UNAVAILABLE',
        `broker.redis.url: Redis at ${redactRedisUrl(url)} is unreachable (${redactRedisText(errorText(err), url)}); start Redis or fix broker.redis.url (MIRA_BROKER__REDIS__URL)`,
        true,
      );
    }
    this.commands = client;
  }

  /** A blocking client for one subscription's XREADGROUP (`role` reader-<n>); connects on its own. */
  async reader(role: string, label: string): Promise<RedisClient> {
    const commands = this.require();
    const create = this.rt.options.createClient;
    // Without a factory a reader is a duplicate of the command client with the reader's options on top.
    const reader = create
      ? await create(role, { ...this.optionsFor('cmd'), ...this.optionsFor('reader') })
      : commands.duplicate(this.optionsFor('reader'));
    this.watch(reader, label);
    // A factory may hand out a lazy client: the read loop waits for 'ready', so start connecting.
    if (reader.status === 'wait') reader.connect().catch(() => undefined);
    return reader;
  }

  private async create(role: string, options: RedisOptions): Promise<RedisClient> {
    const create = this.rt.options.createClient;
    if (create) return create(role, options);
    const mod = await import('ioredis');
    this.Redis ??= (mod.Redis ??
      (mod as unknown as { default: typeof RedisClient }).default) as typeof RedisClient;
    return new this.Redis(this.rt.options.url, options);
  }

  /** Wakes a reader blocked in XREADGROUP now instead of after block_ms. */
  async unblock(clientId: number): Promise<void> {
    const c = this.commands;
    if (c?.status === 'ready') await c.call('CLIENT', 'UNBLOCK', clientId).catch(() => undefined);
  }

  async close(): Promise<void> {
    const commands = this.commands;
    this.commands = null;
    if (commands) await quitRedisClient(commands);
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
        : // A reader's idle XREADGROUP BLOCK sends nothing for up to block_ms: the command
          // client's socketTimeout (inherited by duplicate() and the spread above) would cut it
          // whenever block_ms >= command_timeout_ms. ioredis' blockingTimeout guards it instead.
          {
            enableAutoPipelining: false,
            socketTimeout: undefined,
            blockingTimeout: o.blockMs,
            blockingTimeoutGrace: o.commandTimeoutMs,
          }),
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
