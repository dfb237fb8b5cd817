import { StateError } from '../state.error';

/** How long a writer waits for another connection's write lock (two processes on one file). */
export const BUSY_TIMEOUT_MS = 5000;

/** A node:sqlite error as a StateError saying what to do about it. */
export function sqliteError(err: unknown, what: string): StateError {
  if (err instanceof StateError) return err;
  const e = err as { message?: string; errcode?: number; errstr?: string };
  const message = (e.message ?? String(err)).split('\n')[0];
  // SQLITE_BUSY (5) / SQLITE_LOCKED (6): another connection held the write lock past busy_timeout.
  if (e.errcode === 5 || e.errcode === 6 || /database is (locked|busy)/i.test(message))
    return new StateError(
      'STATE_UNAVAILABLE',
      `sqlite database is busy (${what}): another process held the write lock longer than ${BUSY_TIMEOUT_MS} ms; retry, or use state.backend: postgres for several writers`,
      true,
    );
  if (/UNIQUE constraint failed/i.test(message))
    return new StateError('STATE_CONFLICT', `${what}: ${message}; use a new workflow_id`);
  return new StateError('STATE_QUERY_FAILED', `sqlite ${what} failed: ${message}`);
}

/**
 * For StateSql: a unique-key violation is STATE_DUPLICATE (a value the caller expects, e.g. "already
 * claimed"), everything else as the store maps it.
 */
export function sqlSqliteError(err: unknown, what: string): StateError {
  if (err instanceof StateError) return err;
  const e = err as { message?: string; errcode?: number };
  const message = (e.message ?? String(err)).split('\n')[0];
  // 2067 SQLITE_CONSTRAINT_UNIQUE, 1555 SQLITE_CONSTRAINT_PRIMARYKEY.
  if (e.errcode === 2067 || e.errcode === 1555 || /UNIQUE constraint failed/i.test(message))
    return new StateError('STATE_DUPLICATE', `sqlite ${what}: ${message} (a row with this key exists)`);
  return sqliteError(err, what);
}
