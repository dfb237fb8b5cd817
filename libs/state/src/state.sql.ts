// Plain SQL for libs that keep their own tables in the state store (schedules, deliveries, ...):
// they add tables through @StateMigrations without editing libs/state.

export type SqlDialect = 'sqlite' | 'postgres';

export interface SqlRunner {
  readonly dialect: SqlDialect;
  /**
   * One statement. Parameters are written $1, $2, ... in BOTH dialects (the sqlite side rewrites them).
   * Returns the rows (empty array for statements without rows). Values: strings, numbers, null, booleans
   * (sqlite stores 0/1: prefer integers 0/1 for portability). Store JSON and timestamps as TEXT
   * (ISO-8601 UTC) so both dialects read the same thing. postgres answers COUNT(*) / bigint as strings.
   */
  query<T = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  /** One write statement; `changes` = rows affected (use it for conditional claims: UPDATE ... WHERE ...). */
  execute(sql: string, params?: readonly unknown[]): Promise<{ changes: number }>;
}

export interface StateSql extends SqlRunner {
  /**
   * One transaction. sqlite: serialised with the store's own writes (BEGIN IMMEDIATE; no other statement
   * of the process interleaves until it ends); postgres: one pooled client, BEGIN/COMMIT, ROLLBACK on
   * throw. Use only `tx` inside `fn`. Driver errors come out as StateError; a unique-key violation is
   * code 'STATE_DUPLICATE' so callers can treat "already claimed" as a value.
   */
  transaction<T>(fn: (tx: SqlRunner) => Promise<T>): Promise<T>;
}

/** A migration contributed by a module; owner-scoped versions 1..n, applied once, in order, forward only. */
export interface ModuleMigration {
  version: number;
  name: string;
  sqlite: string;
  postgres: string;
}

/** What a @StateMigrations('<owner>') provider implements. */
export interface StateMigrationSource {
  migrations(): readonly ModuleMigration[];
}

/** One owner's migrations, as discovered (or given to the open helpers). */
export interface OwnedMigrations {
  owner: string;
  migrations: readonly ModuleMigration[];
}

/**
 * Inside libs/state only: a runner that can also run a multi-statement script (a migration body),
 * which node:sqlite's prepared statements cannot.
 */
export interface ScriptRunner extends SqlRunner {
  script(sql: string): Promise<void>;
}

export interface ScriptStateSql extends StateSql {
  transaction<T>(fn: (tx: ScriptRunner) => Promise<T>): Promise<T>;
}
