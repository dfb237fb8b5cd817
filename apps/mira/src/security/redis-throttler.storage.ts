import { Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';
import type { Redis as RedisClient } from 'ioredis';
import { RedisConnections } from '@mira/redis';
import { MemoryThrottlerStorage } from '../edge/memory-throttler.storage';

type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

export interface RedisThrottlerStorageOptions {
  url: string;
  /** Key prefix, e.g. `mira:throttle:`. */
  prefix: string;
  /** Per-command time limit; a slow Redis must not hang requests. */
  commandTimeoutMs?: number;
  /** After a failed command, count in memory this long before trying Redis again. */
  retryAfterMs?: number;
  /** Where the client comes from (the app's shared RedisConnections); default: a private one for `url`. */
  connections?: RedisConnections;
}

/** The name of the limiter's client among the shared Redis connections. */
const CLIENT_NAME = 'rate-limit';

// Fixed window per key, atomically: count the hit, start the window on the first one, and once the
// count passes the limit set a block key that outlives the window by blockDuration.
const INCREMENT = `
local hits = redis.call('INCR', KEYS[1])
if hits == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
local blocked = redis.call('PTTL', KEYS[2])
if blocked > 0 then return {hits, ttl, 1, blocked} end
if hits > tonumber(ARGV[2]) then
  redis.call('SET', KEYS[2], '1', 'PX', ARGV[3])
  return {hits, ttl, 1, tonumber(ARGV[3])}
end
return {hits, ttl, 0, 0}
`;

/**
 * ThrottlerStorage on Redis so limits hold across replicas. Its client comes from RedisConnections
 * (ioredis loaded on first use, so a deployment on the memory broker never loads it). While Redis
 * fails, counting falls back to this process's memory (limits per replica) rather than failing
 * requests: rate limiting degrades, the API stays up.
 */
export class RedisThrottlerStorage implements ThrottlerStorage, OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('RedisThrottlerStorage');
  private readonly connections: RedisConnections;
  /** True when the connections are this storage's own (closed with it), not the app's shared ones. */
  private readonly ownsConnections: boolean;
  private opening: Promise<RedisClient | null> | null = null;
  private readonly fallback = new MemoryThrottlerStorage();
  private degradedSince: number | null = null;
  private bypassUntil = 0;
  private everReady = false;

  constructor(private readonly options: RedisThrottlerStorageOptions) {
    this.ownsConnections = !options.connections;
    this.connections = options.connections ?? new RedisConnections({ url: options.url });
  }

  /** Connects at start, so the first requests already count in Redis (bounded: never blocks start). */
  async onModuleInit(): Promise<void> {
    const client = await this.open();
    if (!client || client.status === 'ready') return;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        client.off('ready', done);
        resolve();
      };
      const timer = setTimeout(done, 2000);
      client.once('ready', done);
    });
  }

  async increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): Promise<ThrottlerStorageRecord> {
    const base = `${this.options.prefix}${throttlerName}:${key}`;
    const client = this.redis();
    // Fail fast: while the connection is down (or just failed) count locally at once instead of
    // making every request wait on a command that cannot succeed.
    if (!client || client.status !== 'ready' || Date.now() < this.bypassUntil) {
      this.degrade(`connection ${client?.status ?? 'connecting'}`);
      return this.fallback.increment(key, ttl, limit, blockDuration, throttlerName);
    }
    let reply: [number, number, number, number];
    try {
      reply = (await client.eval(
        INCREMENT,
        2,
        `${base}:hits`,
        `${base}:block`,
        String(Math.max(1, Math.round(ttl))),
        String(limit),
        String(Math.max(1, Math.round(blockDuration))),
      )) as [number, number, number, number];
    } catch (err) {
      // A timeout (hung or partitioned Redis) does not close the socket: stop asking for a while.
      this.bypassUntil = Date.now() + (this.options.retryAfterMs ?? 1000);
      this.degrade((err as Error).message);
      return this.fallback.increment(key, ttl, limit, blockDuration, throttlerName);
    }
    if (this.degradedSince !== null) {
      this.degradedSince = null;
      this.logger.log('Rate limit storage (Redis) recovered');
    }
    const [totalHits, ttlMs, isBlocked, blockMs] = reply.map(Number);
    return {
      totalHits,
      timeToExpire: Math.ceil(ttlMs / 1000),
      isBlocked: isBlocked === 1,
      timeToBlockExpire: Math.ceil(blockMs / 1000),
    };
  }

  private degrade(why: string): void {
    // Still connecting at start is not an outage worth a warning.
    if (this.degradedSince !== null || (why === 'connection connecting' && !this.everReady)) return;
    this.degradedSince = Date.now();
    this.logger.warn(
      `Rate limit storage (Redis) failed: ${why}; counting in memory per replica until it recovers (check broker.redis.url)`,
    );
  }

  /** True while counting falls back to memory. */
  get degraded(): boolean {
    return this.degradedSince !== null;
  }

  async onApplicationShutdown(): Promise<void> {
    this.fallback.onApplicationShutdown?.();
    // The shared connections are closed by their own shutdown hook, after the HTTP server.
    if (this.ownsConnections) await this.connections.closeAll();
  }

  /** The client if it exists yet; asks for it otherwise (requests count in memory meanwhile). */
  private redis(): RedisClient | null {
    const client = this.connections.peek(CLIENT_NAME);
    if (!client) void this.open();
    return client;
  }

  private open(): Promise<RedisClient | null> {
    this.opening ??= this.connections
      .client(CLIENT_NAME, {
        commandTimeoutMs: this.options.commandTimeoutMs ?? 500,
        // Never queue while disconnected: a queued command makes the request wait for Redis.
        offlineQueue: false,
        connectTimeoutMs: 2000,
        retryStrategy: (times: number) => Math.min(5000, 50 * 2 ** Math.min(times, 7)),
      })
      .then(
        (client) => {
          client.on('ready', () => (this.everReady = true));
          if (client.status === 'ready') this.everReady = true;
          // One line per outage (degrade()), not one per reconnect attempt.
          client.on('error', () => undefined);
          return client;
        },
        (err: unknown) => {
          this.degrade(this.connections.redact((err as Error).message));
          return null;
        },
      )
      .finally(() => (this.opening = null));
    return this.opening;
  }
}
