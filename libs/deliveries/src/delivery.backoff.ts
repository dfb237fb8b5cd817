import { ExponentialBackoff, halfJitterGenerator } from 'cockatiel';

/**
 * The wait before attempt `attempt + 1` after `attempt` failures (1-based): cockatiel's exponential
 * backoff (factor 2) with half jitter, capped at maxMs. The outbox stores the result as the row's
 * next_attempt_at, so a retry survives a restart and any replica can make it.
 */
export function retryDelayMs(attempt: number, initialMs: number, maxMs: number): number {
  const factory = new ExponentialBackoff({
    initialDelay: initialMs,
    maxDelay: maxMs,
    generator: halfJitterGenerator,
  });
  let backoff = factory.next();
  for (let i = 1; i < attempt; i++) backoff = backoff.next(undefined);
  return Math.min(Math.max(backoff.duration, 0), maxMs);
}
