import { AsyncResource } from 'node:async_hooks';
import type { OnApplicationShutdown } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';

type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

/** Idle keys are evicted this often (as @nestjs/throttler's own storage does). */
const SWEEP_INTERVAL_MS = 60_000;

/** The live hits of one throttler for one key: expiry times, ascending, from `head` on. */
class Hits {
  times: number[] = [];
  head = 0;

  get count(): number {
    return this.times.length - this.head;
  }

  /** Drops the hits that expired by `now`: a walk from the oldest, not a copy of the whole list. */
  prune(now: number): void {
    const t = this.times;
    let h = this.head;
    while (h < t.length && t[h] <= now) h++;
    if (h === t.length) {
      t.length = 0;
      h = 0;
    } else if (h > 1024 && h * 2 > t.length) {
      this.times = t.slice(h);
      h = 0;
    }
    this.head = h;
  }

  add(expiresAt: number): void {
    const t = this.times;
    if (t.length === this.head || t[t.length - 1] <= expiresAt) {
      t.push(expiresAt);
      return;
    }
    // A shorter window than the last hit's (a config reload): keep the order, so pruning stays a walk.
    let i = t.length;
    while (i > this.head && t[i - 1] > expiresAt) i--;
    t.splice(i, 0, expiresAt);
  }

  clear(): void {
    this.times = [];
    this.head = 0;
  }

  oldest(): number | undefined {
    return this.head < this.times.length ? this.times[this.head] : undefined;
  }
}

interface KeyRecord {
  expiresAt: number;
  blockExpiresAt: number;
  isBlocked: boolean;
  hits: Map<string, Hits>;
}

/**
 * In-memory ThrottlerStorage with the same answers as @nestjs/throttler's ThrottlerStorageService
 * (sliding log of hits per key and throttler, blocking, idle-key sweep) at a constant cost per
 * request: that one copies the key's whole list of hits on every request (`filter`), so its cost
 * grew with the configured limit (bench: about a third of the server's CPU at a high limit).
 */
export class MemoryThrottlerStorage implements ThrottlerStorage, OnApplicationShutdown {
  private readonly records = new Map<string, KeyRecord>();
  private sweep: NodeJS.Timeout | undefined;
  // Bound outside any request: the timer must not keep the first request's async context alive.
  private readonly startSweep = AsyncResource.bind(() => {
    this.sweep = setInterval(() => this.evictIdle(Date.now()), SWEEP_INTERVAL_MS);
    this.sweep.unref?.();
  });

  async increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): Promise<ThrottlerStorageRecord> {
    if (!this.sweep) this.startSweep();
    const now = Date.now();
    let record = this.records.get(key);
    if (!record) {
      record = { expiresAt: now + ttl, blockExpiresAt: 0, isBlocked: false, hits: new Map() };
      this.records.set(key, record);
    }
    let hits = record.hits.get(throttlerName);
    if (!hits) record.hits.set(throttlerName, (hits = new Hits()));
    hits.prune(now);
    let timeToExpire = Math.ceil((record.expiresAt - now) / 1000);
    if (timeToExpire <= 0) {
      record.expiresAt = now + ttl;
      timeToExpire = Math.ceil(ttl / 1000);
    }
    if (blockDuration <= 0) {
      const isBlocked = hits.count >= limit;
      if (!isBlocked) hits.add(now + ttl);
      const oldest = hits.oldest();
      return {
        totalHits: hits.count + (isBlocked ? 1 : 0),
        timeToExpire,
        isBlocked,
        timeToBlockExpire: isBlocked
          ? oldest === undefined
            ? timeToExpire
            : Math.ceil((oldest - now) / 1000)
          : 0,
      };
    }
    if (!record.isBlocked) hits.add(now + ttl);
    if (hits.count > limit && !record.isBlocked) {
      record.isBlocked = true;
      record.blockExpiresAt = now + blockDuration;
    }
    const timeToBlockExpire = Math.ceil((record.blockExpiresAt - now) / 1000);
    if (timeToBlockExpire <= 0 && record.isBlocked) {
      record.isBlocked = false;
      hits.clear();
      hits.add(now + ttl);
    }
    return { totalHits: hits.count, timeToExpire, isBlocked: record.isBlocked, timeToBlockExpire };
  }

  /** Keys neither blocked, nor in a window, nor holding a live hit are forgotten. */
  evictIdle(now: number): void {
    for (const [key, record] of this.records) {
      if (record.isBlocked && record.blockExpiresAt > now) continue;
      if (record.expiresAt > now) continue;
      let live = false;
      for (const hits of record.hits.values()) {
        hits.prune(now);
        if (hits.count > 0) live = true;
      }
      if (!live) this.records.delete(key);
    }
  }

  /** Keys held (for tests and the sweep's effect). */
  get size(): number {
    return this.records.size;
  }

  onApplicationShutdown(): void {
    if (this.sweep) clearInterval(this.sweep);
    this.sweep = undefined;
    this.records.clear();
  }
}
