import { Client } from 'pg';
import { startPostgres, type PostgresServer } from '../../../../apps/mira/test/support/postgres-server';
import {
  defineConcurrentMigrationTest,
  defineStateStoreContract,
  type ContractTarget,
} from '../state.contract.testing';
import { defineLegacyActorMigrationTest } from '../state.contract-identity.testing';
import { PostgresStateStore } from './postgres.backend';
import { POSTGRES_MIGRATIONS } from './postgres.migrations';

// A REAL PostgreSQL (Debian's server binaries, started by the harness). Without them this suite
// fails in beforeAll with how to install them: it never skips.
let server: PostgresServer;
let n = 0;

beforeAll(async () => {
  server = await startPostgres();
}, 60000);
afterAll(() => server?.stop());

const settings = (url: string | null) => ({
  url,
  pool_max: 5,
  statement_timeout_ms: 5000,
  connect_timeout_ms: 2000,
});

const target: ContractTarget = {
  async newDatabase() {
    const url = await server.createDatabase(`contract_${process.pid}_${++n}`, 'pw-not-checked');
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
    const missing = `postgres://mira:${secret}@127.0.0.1:${server.port}/no_such_db`;
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
