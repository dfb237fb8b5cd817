import { Client } from 'pg';
import {
  defineConcurrentMigrationTest,
  defineStateStoreContract,
  type ContractTarget,
} from '../state.contract.testing';
import { defineLegacyUpgradeTest } from '../state.contract-legacy.testing';
import { usePostgresServer } from '../state.engines.testing';
import { defineLegacyActorMigrationTest } from '../state.contract-identity.testing';
import { PostgresStateStore } from './postgres.backend';
import { POSTGRES_MIGRATIONS } from './postgres.migrations';

// A REAL PostgreSQL (Debian's server binaries, started by the harness). Without them this suite
// fails in beforeAll with how to install them: it never skips.
const pg = usePostgresServer();

const settings = (url: string | null) => ({
  url,
  pool_max: 5,
  statement_timeout_ms: 5000,
  connect_timeout_ms: 2000,
});

const target: ContractTarget = {
  async newDatabase() {
    const url = await pg.database(`contract_${process.pid}`, 'pw-not-checked');
    const admin = new Client({ connectionString: url });
    await admin.connect();
    return {
      shared: true,
      open: () => PostgresStateStore.open(settings(url)),
      sql: async (text) => (await admin.query(text)).rows,
      drop: () => admin.end(),
    };
  },
};

defineStateStoreContract('postgres', target);

describe('postgres specifics', () => {
  defineConcurrentMigrationTest('postgres', target);
  defineLegacyUpgradeTest('postgres', target, 'postgres');

  it('JSON columns are jsonb and instants timestamptz', async () => {
    const db = await target.newDatabase();
    const store = await db.open();
    const types = await db.sql(
      "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'workflows' AND column_name IN ('data', 'created_at')",
    );
    expect(Object.fromEntries(types.map((r) => [r.column_name, r.data_type]))).toEqual({
      data: 'jsonb',
      created_at: 'timestamp with time zone',
    });
    await store.close();
    await db.drop!();
  });

  it('the approvals list (status = pending_approval, newest first, by cursor) reads the status index, no sort', async () => {
    const db = await target.newDatabase();
    const store = await db.open();
    try {
      // 20,000 records, one in ten pending, so the planner weighs a real table.
      await db.sql(
        `INSERT INTO workflows (workflow_id, workflow_type, status, requested_by, created_at, updated_at, data,
           risk_level, reasons, approvals_required, decisions, steps, version)
         SELECT 'wf-' || i, 't', CASE WHEN i % 10 = 0 THEN 'pending_approval' ELSE 'completed' END, 'alice',
           now() - i * interval '1 second', now(), '{}'::jsonb, 'low', '[]'::jsonb, 1, '[]'::jsonb, '[]'::jsonb, 1
         FROM generate_series(1, 20000) i`,
      );
      await db.sql('ANALYZE workflows');
      // The statements the store really sends, captured on the way out.
      const seen: { text: string; values: unknown[] }[] = [];
      const query = Client.prototype.query;
      jest.spyOn(Client.prototype, 'query').mockImplementation(function (this: Client, ...args: unknown[]) {
        if (typeof args[0] === 'string' && args[0].includes('ORDER BY created_at DESC'))
          seen.push({ text: args[0], values: (args[1] as unknown[]) ?? [] });
        return (query as (...a: unknown[]) => unknown).apply(this, args);
      } as never);
      const first = await store.listWorkflows({ status: 'pending_approval', limit: 50 });
      await store.listWorkflows({ status: 'pending_approval', limit: 50, cursor: first.next_cursor });
      jest.restoreAllMocks();
      expect(seen).toHaveLength(2);
      for (const q of seen) {
        const literal = q.text.replace(/\$(\d+)/g, (_, n) => {
          const v = q.values[Number(n) - 1];
          return typeof v === 'number' ? String(v) : `'${String(v).replace(/'/g, "''")}'`;
        });
        const [{ 'QUERY PLAN': plan }] = await db.sql(`EXPLAIN (FORMAT JSON) ${literal}`);
        const text = JSON.stringify(plan);
        expect(text).toContain('"Index Name":"workflows_status_created"');
        expect(text).not.toContain('"Node Type":"Sort"');
      }
    } finally {
      await store.close();
      await db.drop!();
    }
  });

  it('no url is STATE_INVALID_CONFIG naming the key', async () => {
    await expect(PostgresStateStore.open(settings(null))).rejects.toMatchObject({
      code: 'STATE_INVALID_CONFIG',
      message: expect.stringContaining('state.postgres.url'),
    });
  });

  it('an unreachable server or a missing database is STATE_UNAVAILABLE without the URL or password', async () => {
    const secret = 'S3cr3t-Pa55';
    const refused = `postgres://mira:${secret}@127.0.0.1:1/mira`;
    const e1 = await PostgresStateStore.open(settings(refused)).catch((e: Error) => e);
    expect(e1).toMatchObject({ code: 'STATE_UNAVAILABLE', retryable: true });
    const missing = `postgres://mira:${secret}@127.0.0.1:${pg.server.port}/no_such_db`;
    const e2 = await PostgresStateStore.open(settings(missing)).catch((e: Error) => e);
    expect(e2).toMatchObject({
      code: 'STATE_UNAVAILABLE',
      message: expect.stringContaining('state.postgres.url'),
    });
    for (const e of [e1, e2]) {
      expect((e as Error).message).not.toContain(secret);
      expect((e as Error).message).not.toContain('postgres://');
    }
  });
});

defineLegacyActorMigrationTest('postgres', target, POSTGRES_MIGRATIONS);
