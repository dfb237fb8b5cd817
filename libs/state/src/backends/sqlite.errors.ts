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
  // Primary result codes (the extended ones carry them in the low byte).
  const primary = typeof e.errcode === 'number' ? e.errcode & 0xff : -1;
  if (primary === 13 || /database or disk is full|disk I\/O error.*full/i.test(message))
    return new StateError(
      'STATE_STORAGE_FULL',
      `sqlite ${what}: the disk holding the database is full (${message}); free space on its filesystem (the write was rolled back, nothing is lost), or move state.sqlite.path`,
      true,
    );
  // SQLITE_IOERR (10), SQLITE_CANTOPEN (14), SQLITE_READONLY (8): the file or its filesystem failed.
  if (primary === 10 || primary === 14 || primary === 8)
    return new StateError(
      'STATE_UNAVAILABLE',
      `sqlite ${what}: the database file cannot be read or written (${message}); check the file at state.sqlite.path, its permissions and its filesystem`,
      true,
    );
  // SQLITE_CORRUPT (11), SQLITE_NOTADB (26): the file is not the database it was.
  if (primary === 11 || primary === 26)
    return new StateError(
      'STATE_UNAVAILABLE',
      `sqlite ${what}: the database file is damaged or was replaced (${message}); stop the service and restore state.sqlite.path from a backup (see docs/operations.md)`,
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
