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
  // Class 53 (insufficient resources): 53300 too many connections, 53100 disk full on the server.
  if (code.startsWith('53'))
    return new StateError(
      'STATE_UNAVAILABLE',
      `postgres ${what}: the server is out of resources (${message}); for too many connections raise max_connections on the server or lower state.postgres.pool_max x replicas`,
      true,
    );
  if (code === '57014')
    return new StateError(
      'STATE_UNAVAILABLE',
      `postgres ${what}: the statement ran past state.postgres.statement_timeout_ms and was cancelled (a lock held by another session, or a slow server); retry, and look for long transactions on the server`,
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
