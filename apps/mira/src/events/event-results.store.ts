import { LRUCache } from 'lru-cache';
import type { Redis } from 'ioredis';

export type EventStatus = 'queued' | 'processing' | 'answered' | 'failed' | 'dead_lettered';

export interface EventResult {
  id: string;
  type: string;
  status: EventStatus;
  reply_to: string | null;
  /** Who published it (see eventOwner): only they, auditors and admins may read it. Not returned. */
  owner?: string | null;
  queued_at: string;
  updated_at: string;
  /** The agent's envelope, once answered (or failed). */
  response: unknown;
}

/** Where event results live: in this process (memory broker) or in a Redis hash (Redis broker). */
export interface EventResultsStore {
  put(result: EventResult, ttlSeconds: number): Promise<void>;
  get(id: string): Promise<EventResult | null>;
}

export class MemoryEventResults implements EventResultsStore {
  private readonly cache: LRUCache<string, EventResult>;
  constructor(max: number) {
    this.cache = new LRUCache({ max, ttlAutopurge: false });
  }
  put(result: EventResult, ttlSeconds: number): Promise<void> {
    this.cache.set(result.id, result, { ttl: ttlSeconds * 1000 });
    return Promise.resolve();
  }
  get(id: string): Promise<EventResult | null> {
    return Promise.resolve(this.cache.get(id) ?? null);
  }
}

/** One hash per event (`<prefix><id>`: fields status, type, response...), expiring after the TTL. */
export class RedisEventResults implements EventResultsStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}
  async put(result: EventResult, ttlSeconds: number): Promise<void> {
    const key = this.prefix + result.id;
    await this.redis
      .multi()
      .hset(key, {
        id: result.id,
        type: result.type,
        status: result.status,
        reply_to: result.reply_to ?? '',
        owner: result.owner ?? '',
        queued_at: result.queued_at,
        updated_at: result.updated_at,
        response: JSON.stringify(result.response ?? null),
      })
      .expire(key, ttlSeconds)
      .exec();
  }
  async get(id: string): Promise<EventResult | null> {
    const h = await this.redis.hgetall(this.prefix + id);
    if (!h || !h.id) return null;
    return {
      id: h.id,
      type: h.type,
      status: h.status as EventStatus,
      reply_to: h.reply_to || null,
      owner: h.owner || null,
      queued_at: h.queued_at,
      updated_at: h.updated_at,
      response: JSON.parse(h.response ?? 'null') as unknown,
    };
  }
}
