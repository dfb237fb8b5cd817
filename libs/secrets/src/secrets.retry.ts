import { SecretsError } from './secrets.error';
import type { SecretsConfig } from './secrets.interface';

export interface RetryPolicy {
  maxRetries: number;
  delayMs: number;
  factor: number;
  maxDelayMs: number;
}

export function retryPolicyFrom(retry: SecretsConfig['retry']): RetryPolicy {
  return {
    maxRetries: retry.max_retries,
    delayMs: retry.delay * 1000,
    factor: retry.factor,
    maxDelayMs: (retry.max_delay ?? 30) * 1000,
  };
}

const TRANSIENT_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'ERR_SOCKET_CONNECTION_TIMEOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'ERR_NETWORK',
]);

/** HTTP status carried by the error shapes of node-vault, @kubernetes/client-node and SecretsError. */
export function statusOf(err: unknown): number | undefined {
  const e = err as {
    status?: unknown;
    statusCode?: unknown;
    code?: unknown;
    response?: { statusCode?: unknown };
  };
  for (const v of [e?.response?.statusCode, e?.statusCode, e?.status, e?.code]) {
    if (typeof v === 'number' && v >= 100 && v < 600) return v;
  }
  return undefined;
}

/** Retry only what can heal by itself: network failures, 5xx and 429. Never 403/404 or an open circuit. */
export function isTransient(err: unknown): boolean {
  if (err instanceof SecretsError) return err.transient;
  const status = statusOf(err);
  if (status !== undefined) return status >= 500 || status === 429;
  const code = (err as { code?: unknown; cause?: { code?: unknown } })?.code;
  const causeCode = (err as { cause?: { code?: unknown } })?.cause?.code;
  if (code === 'EOPENBREAKER') return false;
  if (typeof code === 'string' && TRANSIENT_CODES.has(code)) return true;
  if (typeof causeCode === 'string' && TRANSIENT_CODES.has(causeCode)) return true;
  // fetch() (undici) rejects with a bare TypeError('fetch failed') on connection problems.
  return err instanceof TypeError && /fetch failed|network/i.test(err.message);
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

export interface RetryHooks {
  onRetry?(err: unknown, attempt: number, delayMs: number): void;
  sleep?(ms: number): Promise<void>;
  random?(): number;
  /** Defaults to isTransient. */
  retryable?(err: unknown): boolean;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Runs `fn`, retrying transient failures up to `maxRetries` times with exponential backoff and full jitter.
 * Hand-written: no retry library (p-retry, cockatiel, ...) is installed and npm install is off limits here.
 */
export async function withRetry<T>(
  fn: (attempt: number) => Promise<T>,
  policy: RetryPolicy,
  hooks: RetryHooks = {},
): Promise<T> {
  const retryable = hooks.retryable ?? isTransient;
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (attempt >= policy.maxRetries || !retryable(err)) throw err;
      const delay = backoffDelay(policy, attempt, hooks.random);
      hooks.onRetry?.(err, attempt + 1, delay);
      await (hooks.sleep ?? defaultSleep)(delay);
    }
  }
}
