import { Logger, type OnApplicationShutdown } from '@nestjs/common';
import { ThrottlerStorageService, type ThrottlerStorage } from '@nestjs/throttler';
import type { Redis as RedisClient } from 'ioredis';

type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

export interface RedisThrottlerStorageOptions {
  url: string;
  /** Key prefix, e.g. `mira:throttle:`. */
  prefix: string;
  /** Per-command time limit; a slow Redis must not hang requests. */
  commandTimeoutMs?: number;
}

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
 * ThrottlerStorage on Redis so limits hold across replicas. ioredis is loaded on first use, so a
 * deployment on the memory broker never loads it. While Redis fails, counting falls back to this
 * process's memory (limits per replica) rather than failing requests: rate limiting degrades, the
 * API stays up.
 */
export class RedisThrottlerStorage implements ThrottlerStorage, OnApplicationShutdown {
  private readonly logger = new Logger('RedisThrottlerStorage');
  private client: RedisClient | null = null;
  private readonly fallback = new ThrottlerStorageService();
  private degradedSince: number | null = null;

  constructor(private readonly options: RedisThrottlerStorageOptions) {}

  async increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): Promise<ThrottlerStorageRecord> {
    const base = `${this.options.prefix}${throttlerName}:${key}`;
    let reply: [number, number, number, number];
    try {
      reply = (await this.redis().eval(
        INCREMENT,
        2,
        `${base}:hits`,
        `${base}:block`,
        String(Math.max(1, Math.round(ttl))),
        String(limit),
        String(Math.max(1, Math.round(blockDuration))),
      )) as [number, number, number, number];
    } catch (err) {
      if (this.degradedSince === null) {
        this.degradedSince = Date.now();
        this.logger.warn(
          `Rate limit storage (Redis) failed: ${(err as Error).message}; counting in memory per replica until it recovers (check broker.redis.url)`,
        );
      }
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

  /** True while counting falls back to memory. */
  get degraded(): boolean {
    return this.degradedSince !== null;
  }

  async onApplicationShutdown(): Promise<void> {
    this.fallback.onApplicationShutdown?.();
    const client = this.client;
    this.client = null;
    if (!client) return;
    try {
      await client.quit();
    } catch {
      client.disconnect();
    }
  }

  private redis(): RedisClient {
    if (!this.client) {
      // Lazy: only deployments on the Redis broker pay for the client.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { Redis } = require('ioredis') as typeof import('ioredis');
      this.client = new Redis(this.options.url, {
        commandTimeout: this.options.commandTimeoutMs ?? 2000,
        maxRetriesPerRequest: 1,
        enableOfflineQueue: true,
        lazyConnect: false,
      });
      this.client.on('error', (err: Error) => this.logger.warn(`Redis (rate limits): ${err.message}`));
    }
    return this.client;
  }
}
