import { BrokerError } from '../broker.error';
import type { MessageBroker } from '../broker.interface';
import type { IdempotencyStore } from './redis.interface';

/** The subset of an ioredis client the store needs (kept narrow so the core never imports ioredis). */
export interface IdempotencyClient {
  status: string;
  set(key: string, value: string, px: 'PX', ttl: number, mode: 'NX' | 'XX'): Promise<string | null>;
  del(key: string): Promise<number>;
}

/**
 * SET key NX PX ttl: the first replica to claim a key wins for `ttl`; every other claim within it
 * is a duplicate. Keys live under `<stream_prefix>idempotency:`.
 */
export class RedisIdempotencyStore implements IdempotencyStore {
  constructor(
    private readonly client: () => IdempotencyClient | null,
    private readonly prefix: string,
  ) {}

  /** True when this caller is first to hold `key` for `ttlMs` (SET NX PX). */
  async claim(key: string, ttlMs: number): Promise<boolean> {
    if (typeof key !== 'string' || key.length === 0)
      throw new BrokerError('BROKER_INVALID_MESSAGE', 'Idempotency key must be a non-empty string');
    return this.set(key, ttlMs, 'NX');
  }

  /** Sets a new TTL on a claim that still exists (SET XX PX). */
  async extend(key: string, ttlMs: number): Promise<boolean> {
    return this.set(key, ttlMs, 'XX');
  }

  private async set(key: string, ttlMs: number, mode: 'NX' | 'XX'): Promise<boolean> {
    if (!Number.isInteger(ttlMs) || ttlMs <= 0)
      throw new BrokerError(
        'BROKER_INVALID_MESSAGE',
        `Idempotency TTL must be a positive integer of ms (got ${ttlMs})`,
      );
    const c = this.ready();
    try {
      return (await c.set(this.prefix + key, '1', 'PX', ttlMs, mode)) === 'OK';
    } catch (err) {
      throw unavailable(err);
    }
  }

  async release(key: string): Promise<void> {
    const c = this.ready();
    try {
      await c.del(this.prefix + key);
    } catch (err) {
      throw unavailable(err);
    }
  }

  private ready(): IdempotencyClient {
    const c = this.client();
    if (!c || c.status !== 'ready') throw unavailable(new Error(`connection ${c?.status ?? 'not started'}`));
    return c;
  }
}

function unavailable(err: unknown): BrokerError {
  return new BrokerError(
    'BROKER_UNAVAILABLE',
    `Redis is unreachable for idempotency checks (${err instanceof Error ? err.message : String(err)}); retry the delivery later`,
    true,
  );
}

/** The idempotency store of a broker (the BrokerService's active transport) when its transport has one. */
export function idempotencyStoreOf(broker: MessageBroker): IdempotencyStore | null {
  const active = (broker as { active?: MessageBroker }).active ?? broker;
  const store = (active as { idempotency?: IdempotencyStore }).idempotency;
  return store && typeof store.claim === 'function' ? store : null;
}
