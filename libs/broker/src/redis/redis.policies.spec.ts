import { JitteredBackoff, outageSource, retryWhile, within } from './redis.policies';

/** Runs `fn` with Math.random (which cockatiel's jitter draws from) fixed at `r`. */
function withRandom<T>(r: number, fn: () => T): T {
  const spy = jest.spyOn(Math, 'random').mockReturnValue(r);
  try {
    return fn();
  } finally {
    spy.mockRestore();
  }
}

describe('redis policies (cockatiel)', () => {
  it('backs off exponentially with jitter, capped', () => {
    const b = new JitteredBackoff(100, 1000);
    expect(withRandom(0, () => b.delay(1))).toBe(50);
    expect(withRandom(1, () => b.delay(1))).toBe(100);
    expect(withRandom(1, () => b.delay(3))).toBe(400);
    expect(withRandom(1, () => b.delay(30))).toBe(1000);
  });

  it('jitters within [delay/2, delay] and never exceeds the maximum', () => {
    const b = new JitteredBackoff(50, 300);
    for (let attempt = 1; attempt <= 12; attempt++) {
      const full = Math.min(300, 50 * 2 ** (attempt - 1));
      for (let i = 0; i < 50; i++) {
        const d = b.delay(attempt);
        expect(d).toBeGreaterThanOrEqual(Math.floor(full / 2));
        expect(d).toBeLessThanOrEqual(full);
      }
    }
    // The factory a cockatiel retry policy uses walks the same schedule.
    const first = withRandom(1, () => b.factory.next());
    const second = withRandom(1, () => first.next(undefined as never));
    expect([first.duration, second.duration]).toEqual([50, 100]);
  });

  it('retryWhile retries while the condition holds, then lets the last error through', async () => {
    let runs = 0;
    const ok = await retryWhile(() => true, new JitteredBackoff(1, 2)).execute(() => {
      if (++runs < 3) throw new Error(`fail ${runs}`);
      return 'done';
    });
    expect([ok, runs]).toEqual(['done', 3]);

    let tries = 0;
    const err = await retryWhile(() => tries < 2, new JitteredBackoff(1, 2))
      .execute(() => {
        tries++;
        throw new Error(`boom ${tries}`);
      })
      .catch((e: Error) => e.message);
    expect([err, tries]).toEqual(['boom 2', 2]);
  });

  it('within bounds a wait and passes through what is not a timeout', async () => {
    let settled = false;
    await within(20, new Promise(() => undefined)).then(() => (settled = true));
    expect(settled).toBe(true);
    await expect(within(1000, Promise.resolve('x'))).resolves.toBeUndefined();
    await expect(within(1000, null)).resolves.toBeUndefined();
    await expect(within(1000, Promise.reject(new Error('broken')))).rejects.toThrow('broken');
  });
});

describe('outageSource', () => {
  it('names the state store for STATE_UNAVAILABLE (also as a cause), Redis for the broker', () => {
    const state = Object.assign(new Error('postgres is unreachable (updateWorkflow)'), {
      code: 'STATE_UNAVAILABLE',
      retryable: true,
    });
    expect(outageSource(state)).toBe('the state store');
    expect(outageSource(new Error('wrapped', { cause: state }))).toBe('the state store');
    expect(outageSource(Object.assign(new Error('x'), { code: 'BROKER_UNAVAILABLE' }))).toBe('Redis');
    expect(outageSource(Object.assign(new Error('x'), { code: 'VAULT_UNAVAILABLE' }))).toBe(
      'a dependency (VAULT_UNAVAILABLE)',
    );
  });
});
