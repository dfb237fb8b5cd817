import { ThrottlerStorageService } from '@nestjs/throttler';
import { MemoryThrottlerStorage } from './memory-throttler.storage';

/** Same calls, same clock, both storages: the answers must match @nestjs/throttler's own. */
async function compare(
  steps: { at: number; key: string; ttl: number; limit: number; block: number; name?: string }[],
) {
  const ours = new MemoryThrottlerStorage();
  const theirs = new ThrottlerStorageService();
  const clock = jest.spyOn(Date, 'now');
  try {
    for (const s of steps) {
      clock.mockReturnValue(s.at);
      const name = s.name ?? 'default';
      const a = await ours.increment(s.key, s.ttl, s.limit, s.block, name);
      const b = await theirs.increment(s.key, s.ttl, s.limit, s.block, name);
      expect({ step: s, answer: a }).toEqual({ step: s, answer: b });
    }
  } finally {
    clock.mockRestore();
    ours.onApplicationShutdown();
    theirs.onApplicationShutdown();
  }
}

describe('MemoryThrottlerStorage', () => {
  it('answers as ThrottlerStorageService through a window, a block and its expiry', async () => {
    const steps = [];
    for (let i = 0; i < 12; i++)
      steps.push({ at: 1_000_000 + i * 100, key: 'k', ttl: 1000, limit: 5, block: 1000 });
    // The block ends, the window slides, hits expire one by one.
    for (let i = 0; i < 12; i++)
      steps.push({ at: 1_002_500 + i * 150, key: 'k', ttl: 1000, limit: 5, block: 1000 });
    steps.push({ at: 1_010_000, key: 'k', ttl: 1000, limit: 5, block: 1000 });
    await compare(steps);
  });

  it('answers as ThrottlerStorageService without a block duration, per key and throttler', async () => {
    const steps = [];
    for (let i = 0; i < 20; i++)
      steps.push({
        at: 5_000_000 + i * 70,
        key: i % 3 === 0 ? 'a' : 'b',
        ttl: 500,
        limit: 3,
        block: 0,
        name: i % 2 ? 'short' : 'long',
      });
    await compare(steps);
  });

  it('keeps counting right when the window shrinks between hits (a config reload)', async () => {
    const steps = [
      { at: 100_000, key: 'k', ttl: 10_000, limit: 4, block: 10_000 },
      { at: 100_100, key: 'k', ttl: 10_000, limit: 4, block: 10_000 },
      { at: 100_200, key: 'k', ttl: 1_000, limit: 4, block: 1_000 },
      { at: 100_300, key: 'k', ttl: 1_000, limit: 4, block: 1_000 },
      { at: 101_250, key: 'k', ttl: 1_000, limit: 4, block: 1_000 },
      { at: 101_350, key: 'k', ttl: 1_000, limit: 4, block: 1_000 },
      { at: 110_200, key: 'k', ttl: 1_000, limit: 4, block: 1_000 },
    ];
    await compare(steps);
  });

  it('forgets idle keys on the sweep and keeps blocked or live ones', async () => {
    const storage = new MemoryThrottlerStorage();
    const clock = jest.spyOn(Date, 'now');
    try {
      clock.mockReturnValue(1_000);
      await storage.increment('idle', 1000, 10, 1000, 'default');
      for (let i = 0; i < 3; i++) await storage.increment('blocked', 1000, 1, 60_000, 'default');
      expect(storage.size).toBe(2);
      storage.evictIdle(5_000);
      expect(storage.size).toBe(1);
      storage.evictIdle(70_000);
      expect(storage.size).toBe(0);
    } finally {
      clock.mockRestore();
      storage.onApplicationShutdown();
    }
  });

  it('counts the hits of a large window (the list is walked from its oldest end, not copied)', async () => {
    const storage = new MemoryThrottlerStorage();
    try {
      for (let i = 0; i < 50_000; i++) await storage.increment('k', 60_000, 1_000_000, 60_000, 'default');
      const r = await storage.increment('k', 60_000, 1_000_000, 60_000, 'default');
      expect(r).toMatchObject({ totalHits: 50_001, isBlocked: false, timeToExpire: 60 });
    } finally {
      storage.onApplicationShutdown();
    }
  });
});
