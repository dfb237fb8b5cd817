import { Client } from 'pg';
import { startPostgres, type PostgresServer } from '../../../../apps/mira/test/support/postgres-server';
import { auditFor, newRecord } from '../state.contract.testing';
import { PostgresStateStore } from './postgres.backend';

// Why `read ECONNRESET` / "terminating connection due to administrator command" ended the process:
// pg-pool takes its own 'error' listener off a client while it is checked out. A server that dies
// while the store holds a client between two statements (inside a transaction, or between acquire
// and the first query) makes that client emit 'error' with no listener, which Node throws as an
// uncaught exception. These tests terminate exactly such a client, and stop the real server
// (fast shutdown and SIGKILL) with transactions in flight.
let server: PostgresServer;
let n = 0;
const uncaught: unknown[] = [];
const onUncaught = (err: unknown) => uncaught.push(err);

beforeAll(async () => {
  server = await startPostgres();
  process.on('uncaughtException', onUncaught);
}, 60000);
afterAll(async () => {
  process.off('uncaughtException', onUncaught);
  await server?.stop();
});
beforeEach(() => (uncaught.length = 0));

const settings = (url: string) => ({
  url,
  pool_max: 6,
  statement_timeout_ms: 3000,
  connect_timeout_ms: 1000,
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function admin<T>(url: string, fn: (c: Client) => Promise<T>): Promise<T> {
  const c = new Client({ connectionString: url });
  c.on('error', () => undefined);
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end().catch(() => undefined);
  }
}

describe('postgres connection faults', () => {
  it('a checked-out client whose backend is terminated does not crash the process', async () => {
    const url = await server.createDatabase(`faults_${process.pid}_${++n}`);
    const store = await PostgresStateStore.open(settings(url));
    const sql = store.sqlAccess();
    const failed = sql
      .transaction(async (tx) => {
        const [{ pid }] = await tx.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
        // The client is checked out and idle (no query running) when its backend goes.
        await admin(url, (c) => c.query('SELECT pg_terminate_backend($1)', [pid]));
        await sleep(300);
        await tx.query('SELECT 1');
      })
      .catch((e: unknown) => e);
    await expect(failed).resolves.toMatchObject({ code: 'STATE_UNAVAILABLE' });
    await sleep(100);
    expect(uncaught).toEqual([]);
    // The pool dropped the broken client and serves again.
    await expect(store.ping()).resolves.toBeUndefined();
    await store.close();
  });

  it.each(['SIGINT', 'SIGKILL'] as const)(
    'stopping the server (%s) with transactions in flight leaves no uncaught error and recovers',
    async (signal) => {
      const url = await server.createDatabase(`faults_${process.pid}_${++n}`);
      const store = await PostgresStateStore.open(settings(url));
      const codes = new Map<string, number>();
      let running = true;
      const worker = async (w: number) => {
        for (let i = 0; running; i++) {
          const id = `wf-${signal}-${w}-${i}`;
          try {
            const { record } = await store.createWorkflow(newRecord({ workflow_id: id }), [auditFor(id)]);
            await store.updateWorkflow(id, record.version, { status: 'approved' }, [
              auditFor(id, 'workflow.approved', { to_status: 'approved' }),
            ]);
            await store.sqlAccess().transaction(async (tx) => {
              await tx.query('SELECT 1');
              await sleep(2);
              await tx.query('SELECT count(*) FROM workflows');
            });
          } catch (err) {
            const code = (err as { code?: string }).code ?? 'UNCODED';
            codes.set(code, (codes.get(code) ?? 0) + 1);
            await sleep(20);
          }
        }
      };
      const workers = Array.from({ length: 12 }, (_, w) => worker(w));
      await sleep(400);
      await server.down(signal);
      await sleep(1000);
      await server.restart();
      const back = Date.now();
      for (;;) {
        try {
          await store.ping();
          break;
        } catch {
          await sleep(100);
        }
        if (Date.now() - back > 15000) throw new Error('the store did not recover within 15 s');
      }
      running = false;
      await Promise.all(workers);
      expect(uncaught).toEqual([]);
      // Every failure during the outage was a coded StateError the API maps to 503.
      expect([...codes.keys()].filter((c) => c !== 'STATE_UNAVAILABLE')).toEqual([]);
      expect((await store.verifyAudit()).ok).toBe(true);
      await store.close();
    },
    60000,
  );
});

describe('postgres revokeSession (issue 33 defect)', () => {
  it('runs in one transaction: a failing insert leaves the expired rows it would have cleaned', async () => {
    const url = await server.createDatabase(`faults_${process.pid}_${++n}`);
    const store = await PostgresStateStore.open(settings(url));
    await store.revokeSession('old', '2020-01-01T00:00:00.000Z', '2019-01-01T00:00:00.000Z');
    const err = await store
      .revokeSession('new', 'not-a-time', '2026-01-01T00:00:00.000Z')
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'STATE_INVALID_INPUT' });
    const rows = await admin(url, async (c) => (await c.query('SELECT sid FROM revoked_sessions')).rows);
    expect(rows).toEqual([{ sid: 'old' }]);
    await store.close();
  });
});

describe('forward-only migrations', () => {
  it('a database migrated by a newer release is refused with a clear message', async () => {
    const url = await server.createDatabase(`faults_${process.pid}_${++n}`);
    await (await PostgresStateStore.open(settings(url))).close();
    await admin(url, (c) =>
      c.query(
        "INSERT INTO schema_migrations (version, name, applied_at) VALUES (99, 'from_the_future', now())",
      ),
    );
    await expect(PostgresStateStore.open(settings(url))).rejects.toMatchObject({
      code: 'STATE_MIGRATION_FAILED',
      message: expect.stringContaining('schema version 99, newer than this release knows'),
    });
  });
});
