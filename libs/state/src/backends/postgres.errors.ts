import { sanitizeMessage, StateError } from '../state.error';

const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  '57014',
]);

/**
 * A driver error as a StateError: the URL and password removed (pg puts them in some messages),
 * with what to do about it.
 */
export function postgresError(err: unknown, what: string, secrets: (string | null)[] = []): StateError {
  if (err instanceof StateError) return err;
  const e = err as { message?: string; code?: string };
  const message = sanitizeMessage(e.message ?? String(err), secrets);
  const code = e.code ?? '';
  if (code === '23505')
    return new StateError('STATE_CONFLICT', `postgres ${what}: ${message}; use a new workflow_id`);
  // Class 22 (data exception: a value out of range, a NUL character in JSON): the input's fault.
  if (code.startsWith('22'))
    return new StateError('STATE_INVALID_INPUT', `postgres ${what}: the value cannot be stored (${message})`);
  if (code === '28P01' || code === '28000')
    return new StateError(
      'STATE_UNAVAILABLE',
      `postgres refused the credentials (${what}): ${message}; fix the user/password in state.postgres.url`,
      true,
    );
  if (code === '3D000')
    return new StateError(
      'STATE_UNAVAILABLE',
      `postgres ${what}: ${message}; create the database or fix its name in state.postgres.url`,
      true,
    );
  if (
    UNAVAILABLE_CODES.has(code) ||
    code.startsWith('08') ||
    code.startsWith('57P') ||
    /timeout|terminated|connect|closed/i.test(message)
  )
    return new StateError(
      'STATE_UNAVAILABLE',
      `postgres is unreachable (${what}): ${message}; check that the server is up and state.postgres.url points at it`,
      true,
    );
  return new StateError('STATE_QUERY_FAILED', `postgres ${what} failed: ${message}`);
}
