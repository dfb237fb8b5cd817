import type { DeliveryDeduplicator } from './webhook.interface';

/**
 * Delivery ids in memory: a Map in insertion order used as an LRU bounded by `capacity`, each
 * entry expiring after its ttl. Per process: replicas do not share it (the Redis broker's
 * idempotency helper does, when available).
 */
export class MemoryDeduplicator implements DeliveryDeduplicator {
  readonly kind = 'memory';
  private readonly seen = new Map<string, number>();

  constructor(
    private readonly capacity: number,
    private readonly now: () => number,
  ) {}

  async claim(key: string, ttlMs: number): Promise<boolean> {
    const now = this.now();
    const until = this.seen.get(key);
    if (until !== undefined && until > now) return false;
    this.seen.delete(key);
    this.seen.set(key, now + ttlMs);
    while (this.seen.size > this.capacity) {
      const oldest = this.seen.keys().next().value as string;
      this.seen.delete(oldest);
    }
    return true;
  }

  async extend(key: string, ttlMs: number): Promise<boolean> {
    const until = this.seen.get(key);
    if (until === undefined || until <= this.now()) return false;
    this.seen.set(key, this.now() + ttlMs);
    return true;
  }

  async release(key: string): Promise<void> {
    this.seen.delete(key);
  }

  get size(): number {
    return this.seen.size;
  }
}
