import { SecretsError } from '../secrets.error';
import { backoffDelay, withRetry } from './secrets.retry';

describe('retry policy', () => {
  it('full jitter stays within [0, min(max, base * factor^n)]', () => {
    const policy = { maxRetries: 3, delayMs: 1000, factor: 2, maxDelayMs: 30000 };
    expect(backoffDelay(policy, 0, () => 0.999)).toBeLessThan(1000);
    expect(backoffDelay(policy, 2, () => 0.999)).toBeLessThan(4000);
    expect(backoffDelay(policy, 2, () => 0.999)).toBeGreaterThan(3900);
    expect(backoffDelay(policy, 10, () => 0.5)).toBe(15000);
    expect(backoffDelay(policy, 1, () => 0)).toBe(0);
  });

  it('gives up after max_retries, waiting the jittered exponential delays in between', async () => {
    let calls = 0;
    const sleeps: number[] = [];
    await expect(
      withRetry(
        async () => {
          calls++;
          throw { code: 'ECONNRESET' };
        },
        { maxRetries: 3, delayMs: 100, factor: 2, maxDelayMs: 1000 },
        { onRetry: (_err, _attempt, ms) => void sleeps.push(ms), random: () => 0.5 },
      ),
    ).rejects.toEqual({ code: 'ECONNRESET' });
    expect(calls).toBe(4);
    expect(sleeps).toEqual([50, 100, 200]);
  });

  it('honours factor and the max delay (not a fixed doubling)', async () => {
    const sleeps: number[] = [];
    const attempts: number[] = [];
    await expect(
      withRetry(
        async () => {
          throw { code: 'ETIMEDOUT' };
        },
        { maxRetries: 3, delayMs: 10, factor: 3, maxDelayMs: 50 },
        {
          onRetry: (_err, attempt, ms) => {
            attempts.push(attempt);
            sleeps.push(ms);
          },
          random: () => 0.999,
        },
      ),
    ).rejects.toEqual({ code: 'ETIMEDOUT' });
    expect(attempts).toEqual([1, 2, 3]);
    expect(sleeps).toEqual([9, 29, 49]);
  });

  it('does not retry what cannot heal, and returns the first success', async () => {
    let calls = 0;
    const denied = new SecretsError('SECRET_ACCESS_DENIED', 'no', { status: 403 });
    await expect(
      withRetry(
        async () => {
          calls++;
          throw denied;
        },
        { maxRetries: 3, delayMs: 1, factor: 2, maxDelayMs: 10 },
      ),
    ).rejects.toBe(denied);
    expect(calls).toBe(1);

    let attempt = 0;
    const value = await withRetry(
      async (n) => {
        attempt = n;
        if (n < 2) throw new SecretsError('SECRETS_BACKEND_UNAVAILABLE', 'down', { transient: true });
        return 'ok';
      },
      { maxRetries: 3, delayMs: 1, factor: 2, maxDelayMs: 10 },
    );
    expect(value).toBe('ok');
    expect(attempt).toBe(2);
  });
});
