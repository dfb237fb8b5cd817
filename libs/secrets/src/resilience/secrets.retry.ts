import { ExponentialBackoff, handleWhen, retry, type GeneratorFn } from 'cockatiel';
import type { SecretsConfig } from '../secrets.interface';
import { isTransient } from './secrets.transient';

export interface RetryPolicy {
  maxRetries: number;
  delayMs: number;
  factor: number;
  maxDelayMs: number;
}

export function retryPolicyFrom(retryConfig: SecretsConfig['retry']): RetryPolicy {
  return {
    maxRetries: retryConfig.max_retries,
    delayMs: retryConfig.delay * 1000,
    factor: retryConfig.factor,
    maxDelayMs: (retryConfig.max_delay ?? 30) * 1000,
  };
}

/** Full jitter: a uniform draw in [0, min(max, base * factor^attempt)] (AWS architecture blog). */
export function backoffDelay(
  policy: RetryPolicy,
  attempt: number,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.delayMs * policy.factor ** attempt);
  return Math.floor(random() * ceiling);
}

/**
 * cockatiel's ExponentialBackoff with a full-jitter generator that honours `secrets.retry.factor`
 * (cockatiel's own fullJitterGenerator always doubles, whatever `exponent` says).
 */
export function exponentialBackoff(policy: RetryPolicy, random: () => number = Math.random) {
  const generator: GeneratorFn<number> = (attempt = 0) => [
    backoffDelay(policy, attempt, random),
    attempt + 1,
  ];
  return new ExponentialBackoff({
    generator,
    initialDelay: policy.delayMs,
    maxDelay: policy.maxDelayMs,
    exponent: policy.factor,
  });
}

export interface RetryHooks {
  onRetry?(err: unknown, attempt: number, delayMs: number): void;
  random?(): number;
  /** Defaults to isTransient. */
  retryable?(err: unknown): boolean;
}

/**
 * Runs `fn` under a cockatiel retry policy: transient failures are retried up to `maxRetries` times
 * with exponential backoff and full jitter. A policy per call, so `onRetry` can name what is retried.
 */
export async function withRetry<T>(
  fn: (attempt: number) => Promise<T>,
  policy: RetryPolicy,
  hooks: RetryHooks = {},
): Promise<T> {
  const retrying = retry(handleWhen(hooks.retryable ?? isTransient), {
    maxAttempts: policy.maxRetries,
    backoff: exponentialBackoff(policy, hooks.random),
  });
  const listener = hooks.onRetry
    ? retrying.onRetry((event) => {
        if ('error' in event) hooks.onRetry!(event.error, event.attempt, event.delay);
      })
    : null;
  try {
    return await retrying.execute(({ attempt }) => fn(attempt));
  } finally {
    listener?.dispose();
  }
}
