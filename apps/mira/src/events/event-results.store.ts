import { LRUCache } from 'lru-cache';
import type { Redis } from 'ioredis';

/** Marks a message published through POST /api/v1/events: its lifecycle is an event's status. */
export const EVENT_RESULT_HEADER = 'mira-event';

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

/** Statuses only move forward: a late `processing` never hides an answer or a dead letter. */
export const STATUS_RANK: Readonly<Record<EventStatus, number>> = {
  queued: 0,
  processing: 1,
  answered: 2,
  failed: 2,
  dead_lettered: 2,
};

/** Where event results live: in this process (memory broker) or in a Redis hash (Redis broker). */
export interface EventResultsStore {
  put(result: EventResult, ttlSeconds: number): Promise<void>;
  get(id: string): Promise<EventResult | null>;
  /**
   * Stores `seed` when the event is unknown; otherwise moves it to seed.status (with its
   * updated_at, and its response when not null) only if that is further along, and fills a
   * missing reply_to. Atomic, so hooks racing each other or the API never step a status back.
   * Answers the record as stored after.
   */
  advance(seed: EventResult, ttlSeconds: number): Promise<EventResult>;
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
  advance(seed: EventResult, ttlSeconds: number): Promise<EventResult> {
    const cur = this.cache.get(seed.id);
    let next = cur ?? seed;
    if (cur && STATUS_RANK[cur.status] < STATUS_RANK[seed.status])
      next = {
        ...cur,
        status: seed.status,
        updated_at: seed.updated_at,
        response: seed.response ?? cur.response,
      };
    if (seed.reply_to && !next.reply_to) next = { ...next, reply_to: seed.reply_to };
    if (seed.owner && !next.owner) next = { ...next, owner: seed.owner };
    this.cache.set(seed.id, next, { ttl: ttlSeconds * 1000 });
    return Promise.resolve(next);
  }
}

// Compare-and-set in one script: two replicas (or a late hook) cannot step a status back.
const ADVANCE = `
local rank = { queued = 0, processing = 1, answered = 2, failed = 2, dead_lettered = 2 }
local cur = redis.call('HGET', KEYS[1], 'status')
if not cur then
  redis.call('HSET', KEYS[1], 'id', ARGV[2], 'type', ARGV[3], 'status', ARGV[1], 'reply_to', ARGV[4],
    'queued_at', ARGV[5], 'updated_at', ARGV[6], 'response', ARGV[7], 'owner', ARGV[9])
else
  if (rank[cur] or 0) < rank[ARGV[1]] then
    redis.call('HSET', KEYS[1], 'status', ARGV[1], 'updated_at', ARGV[6])
    if ARGV[7] ~= 'null' then redis.call('HSET', KEYS[1], 'response', ARGV[7]) end
  end
  if ARGV[4] ~= '' and (redis.call('HGET', KEYS[1], 'reply_to') or '') == '' then
    redis.call('HSET', KEYS[1], 'reply_to', ARGV[4])
  end
  if ARGV[9] ~= '' and (redis.call('HGET', KEYS[1], 'owner') or '') == '' then
    redis.call('HSET', KEYS[1], 'owner', ARGV[9])
  end
end
redis.call('EXPIRE', KEYS[1], ARGV[8])
return 1
`;

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
  async advance(seed: EventResult, ttlSeconds: number): Promise<EventResult> {
    const r = seed;
    const args = [r.status, r.id, r.type, r.reply_to ?? '', r.queued_at, r.updated_at];
    await this.redis.eval(
      ADVANCE,
      1,
      this.prefix + r.id,
      ...args,
      JSON.stringify(r.response ?? null),
      ttlSeconds,
      r.owner ?? '',
    );
    return (await this.get(r.id)) ?? seed;
  }
}
