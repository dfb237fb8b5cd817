import { startPostgres, type PostgresServer } from '../../../apps/mira/test/support/postgres-server';
import { dataHash } from './state.identity';
import type { NewWorkflowRecord } from './state.interface';
import type { ModuleMigration } from './state.sql';
import { openPostgresStateSql, openSqliteStateSql, type OpenedStateSql } from './state.sql-open';

// Spec harnesses shared by the libs whose stores run on both state backends (deliveries,
// schedules, projects) and by the state lib's own PostgreSQL specs. Jest-only: the build leaves
// *.testing.ts out, so nothing here reaches dist/.

export interface TestPostgres {
  /** The running server (valid from beforeAll on). */
  readonly server: PostgresServer;
  /** A fresh database named `<prefix>_<n>` (n counts per call) and its URL. */
  database(prefix: string, password?: string): Promise<string>;
}

/**
 * A real PostgreSQL for the enclosing describe block (or the file, at top level): started in
 * beforeAll, stopped in afterAll. Without the server binaries beforeAll fails saying how to
 * install them: the specs never skip.
 */
export function usePostgresServer(timeoutMs = 60_000): TestPostgres {
  let server: PostgresServer | undefined;
  let n = 0;
  beforeAll(async () => {
    server = await startPostgres();
  }, timeoutMs);
  afterAll(() => server?.stop());
  const pg: TestPostgres = {
    get server() {
      if (!server) throw new Error('PostgreSQL is not started yet: use it inside a test or a hook');
      return server;
    },
    database: (prefix, password) => pg.server.createDatabase(`${prefix}_${++n}`, password),
  };
  return pg;
}

/** One state backend a store spec runs on: `open` gives a fresh, migrated StateSql each time. */
export interface StateSqlEngine {
  name: 'sqlite' | 'postgres';
  open(): Promise<OpenedStateSql>;
}

/**
 * The two state backends for `describe.each(engines)`: an in-memory SQLite and a fresh database
 * on a real PostgreSQL (started for the file), each with core and `migrations` applied as `owner`.
 */
export function useStateSqlEngines(
  migrations: readonly ModuleMigration[],
  options: { owner?: string; databasePrefix: string },
): StateSqlEngine[] {
  const pg = usePostgresServer();
  const owner = options.owner === undefined ? {} : { owner: options.owner };
  return [
    { name: 'sqlite', open: () => openSqliteStateSql(migrations, owner) },
    {
      name: 'postgres',
      open: async () => openPostgresStateSql(await pg.database(options.databasePrefix), migrations, owner),
    },
  ];
}

/**
 * A bare workflow record held for one approval: no data, no policy, no governance input, high
 * risk, created now (`overrides` for the rest).
 */
export function bareRecord(overrides: Partial<NewWorkflowRecord> = {}): NewWorkflowRecord {
  return {
    workflow_id: 'wf-1',
    workflow_type: 'project_initialization',
    status: 'pending_approval',
    requested_by: 'key:alice',
    requested_by_name: 'alice',
    created_at: new Date().toISOString(),
    data: {},
    data_hash: dataHash({}),
    policy: null,
    governance: null,
    risk_level: 'high',
    reasons: [],
    approvals_required: 1,
    decisions: [],
    expires_at: null,
    steps: [],
    lease_owner: null,
    lease_expires_at: null,
    idempotency_key: null,
    request_hash: null,
    ...overrides,
  };
}
