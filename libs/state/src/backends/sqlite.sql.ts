import { AsyncLocalStorage } from 'node:async_hooks';
import type { DatabaseSync, SQLInputValue } from 'node:sqlite';
import { StateError } from '../state.error';
import type { ScriptRunner, ScriptStateSql } from '../state.sql';
import { sqlSqliteError } from './sqlite.errors';

/**
 * One connection, one statement stream: the store's own operations and StateSql calls queue here,
 * so an open StateSql transaction (which awaits between statements) never interleaves with them.
 */
export class SqliteSerial {
  private tail: Promise<unknown> = Promise.resolve();
  private readonly inside = new AsyncLocalStorage<boolean>();

  run<T>(fn: () => T | Promise<T>): Promise<T> {
    if (this.inside.getStore())
      return Promise.reject(
        new StateError(
          'STATE_INVALID_INPUT',
          'A state store call was made inside a StateSql transaction on the same sqlite connection; use only the `tx` runner inside transaction(), and call the store after it returns',
        ),
      );
    const next = this.tail.then(() => this.inside.run(true, fn));
    this.tail = next.catch(() => undefined);
    return next;
  }
}

/** `$1, $2, ...` -> `?` with the values in occurrence order (a `$n` may repeat); quoted text untouched. */
export function toSqliteParams(
  sql: string,
  params: readonly unknown[],
): { sql: string; values: SQLInputValue[] } {
  const values: SQLInputValue[] = [];
  const text = sql.replace(/'(?:[^']|'')*'|"(?:[^"]|"")*"|\$(\d+)/g, (match, n: string | undefined) => {
    if (n === undefined) return match;
    const i = Number(n) - 1;
    if (i < 0 || i >= params.length)
      throw new StateError(
        'STATE_INVALID_INPUT',
        `SQL parameter $${n} has no value (${params.length} given); pass one value per $n`,
      );
    values.push(sqliteValue(params[i]));
    return '?';
  });
  return { sql: text, values };
}

function sqliteValue(v: unknown): SQLInputValue {
  if (v === undefined || v === null) return null;
  if (typeof v === 'boolean') return v ? 1 : 0;
  return v as SQLInputValue;
}

class SqliteRunner implements ScriptRunner {
  readonly dialect = 'sqlite' as const;
  ended = false;

  constructor(private readonly conn: () => DatabaseSync) {}

  private db(): DatabaseSync {
    if (this.ended)
      throw new StateError(
        'STATE_INVALID_INPUT',
        'This transaction runner was used after its transaction ended; run statements inside transaction()',
      );
    return this.conn();
  }

  async query<T = Record<string, unknown>>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
    try {
      const p = toSqliteParams(sql, params);
      return this.db()
        .prepare(p.sql)
        .all(...p.values) as T[];
    } catch (err) {
      throw sqlSqliteError(err, 'query');
    }
  }

  async execute(sql: string, params: readonly unknown[] = []): Promise<{ changes: number }> {
    try {
      const p = toSqliteParams(sql, params);
      const result = this.db()
        .prepare(p.sql)
        .run(...p.values);
      return { changes: Number(result.changes) };
    } catch (err) {
      throw sqlSqliteError(err, 'execute');
    }
  }

  async script(sql: string): Promise<void> {
    try {
      this.db().exec(sql);
    } catch (err) {
      throw sqlSqliteError(err, 'script');
    }
  }
}

/** StateSql on the store's node:sqlite connection. */
export class SqliteStateSql implements ScriptStateSql {
  readonly dialect = 'sqlite' as const;
  private readonly direct: SqliteRunner;

  constructor(
    private readonly conn: () => DatabaseSync,
    private readonly serial: SqliteSerial,
  ) {
    this.direct = new SqliteRunner(conn);
  }

  query<T = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<T[]> {
    return this.serial.run(() => this.direct.query<T>(sql, params));
  }

  execute(sql: string, params?: readonly unknown[]): Promise<{ changes: number }> {
    return this.serial.run(() => this.direct.execute(sql, params));
  }

  transaction<T>(fn: (tx: ScriptRunner) => Promise<T>): Promise<T> {
    return this.serial.run(async () => {
      const db = this.conn();
      try {
        db.exec('BEGIN IMMEDIATE');
      } catch (err) {
        throw sqlSqliteError(err, 'transaction');
      }
      const tx = new SqliteRunner(() => db);
      try {
        const value = await fn(tx);
        db.exec('COMMIT');
        return value;
      } catch (err) {
        if (db.isOpen && db.isTransaction) db.exec('ROLLBACK');
        throw sqlSqliteError(err, 'transaction');
      } finally {
        tx.ended = true;
      }
    });
  }
}
