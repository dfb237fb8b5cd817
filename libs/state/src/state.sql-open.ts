import { PostgresStateStore } from './backends/postgres.backend';
import { SqliteStateStore } from './backends/sqlite.backend';
import { applyModuleMigrations } from './state.module-migrations';
import type { ModuleMigration, StateSql } from './state.sql';

export interface OpenedStateSql {
  sql: StateSql;
  close(): Promise<void>;
}

async function withMigrations(
  store: SqliteStateStore | PostgresStateStore,
  owner: string,
  migrations: readonly ModuleMigration[],
): Promise<OpenedStateSql> {
  try {
    await applyModuleMigrations(store.sqlAccess(), [{ owner, migrations }]);
  } catch (err) {
    await store.close();
    throw err;
  }
  return { sql: store.sqlAccess(), close: () => store.close() };
}

/**
 * For lib specs without Nest: a real sqlite store (`:memory:` unless a file path is given), core
 * and the given module migrations applied, as StateSql.
 */
export async function openSqliteStateSql(
  migrations: readonly ModuleMigration[],
  options: { owner?: string; path?: string } = {},
): Promise<OpenedStateSql> {
  return withMigrations(
    SqliteStateStore.open(options.path ?? ':memory:'),
    options.owner ?? 'test',
    migrations,
  );
}

/** The same on a real PostgreSQL database (apps/mira/test/support/postgres-server.ts starts one). */
export async function openPostgresStateSql(
  url: string,
  migrations: readonly ModuleMigration[],
  options: { owner?: string } = {},
): Promise<OpenedStateSql> {
  const store = await PostgresStateStore.open({
    url,
    pool_max: 5,
    statement_timeout_ms: 10000,
    connect_timeout_ms: 5000,
  });
  return withMigrations(store, options.owner ?? 'test', migrations);
}
