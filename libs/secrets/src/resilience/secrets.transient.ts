import { SecretsError } from '../secrets.error';

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

/**
 * What can heal by itself: network failures, 5xx and 429. Never 403/404 or an open circuit. The retry
 * policy retries only these and the circuit breaker counts only these as failures.
 */
export function isTransient(err: unknown): boolean {
  if (err instanceof SecretsError) return err.transient;
  const status = statusOf(err);
  if (status !== undefined) return status >= 500 || status === 429;
  const code = (err as { code?: unknown; cause?: { code?: unknown } })?.code;
  const causeCode = (err as { cause?: { code?: unknown } })?.cause?.code;
  if (typeof code === 'string' && TRANSIENT_CODES.has(code)) return true;
  if (typeof causeCode === 'string' && TRANSIENT_CODES.has(causeCode)) return true;
  // fetch() (undici) rejects with a bare TypeError('fetch failed') on connection problems.
  return err instanceof TypeError && /fetch failed|network/i.test(err.message);
}
