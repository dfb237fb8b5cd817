import { Client } from 'pg';
import { usePostgresServer } from '../state.engines.testing';
import { PostgresStateStore } from './postgres.backend';

// Issue 31: a slow store (a lock held by another session) and an exhausted server on a REAL
// PostgreSQL. The figures printed by `npm run bench` are not asserted here; what is asserted is the
// answer (a coded, retryable STATE_UNAVAILABLE), that the pool does not wedge, and recovery.
const pg = usePostgresServer();

const settings = (url: string) => ({ url, pool_max: 4, statement_timeout_ms: 800, connect_timeout_ms: 1000 });

async function connect(url: string): Promise<Client> {
  const c = new Client({ connectionString: url });
  c.on('error', () => undefined);
  await c.connect();
  return c;
}

/** The largest event-loop delay seen while `work` runs (a stand-in for a health probe's latency). */
async function loopLag<T>(work: Promise<T>): Promise<{ value: T; maxLagMs: number }> {
  let maxLagMs = 0;
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    maxLagMs = Math.max(maxLagMs, now - last - 10);
    last = now;
  }, 10);
  try {
    return { value: await work, maxLagMs };
  } finally {
    clearInterval(timer);
  }
}

describe('postgres slow store and exhaustion', () => {
  it('a table lock held by another session: every request ends at statement_timeout with a coded 503, the pool serves again', async () => {
    const url = await pg.database(`slow_${process.pid}`);
    const store = await PostgresStateStore.open(settings(url));
    const locker = await connect(url);
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE workflows IN ACCESS EXCLUSIVE MODE');
    // Twice the pool: the second half waits for a client, and must not wedge behind the first.
    const started = performance.now();
    const { value: answers, maxLagMs } = await loopLag(
      Promise.all(
        Array.from({ length: 8 }, () =>
          store.getWorkflow('nope').then(
            () => 'ok',
            (e: { code?: string; retryable?: boolean; message: string }) => e,
          ),
        ),
      ),
    );
    const elapsed = performance.now() - started;
    // The first four are cancelled by statement_timeout; the ones waiting for a client give up at
    // connect_timeout_ms: all of them a retryable STATE_UNAVAILABLE (503), none hangs.
    for (const a of answers) expect(a).toMatchObject({ code: 'STATE_UNAVAILABLE', retryable: true });
    const cancelled = answers.filter(
      (a) => typeof a !== 'string' && a.message.includes('statement_timeout_ms'),
    );
    expect(cancelled.length).toBeGreaterThanOrEqual(4);
    // The probe path (ping) is not behind the lock: it answers while the lock is still held.
    await expect(store.ping()).resolves.toBeUndefined();
    await locker.query('ROLLBACK');
    await expect(store.getWorkflow('nope')).resolves.toBeNull();
    process.stderr.write(
      `[figures] lock held: 8 requests on a pool of 4 ended with STATE_UNAVAILABLE in ${elapsed.toFixed(0)} ms ` +
        `(statement_timeout 800 ms); max event-loop lag ${maxLagMs.toFixed(1)} ms\n`,
    );
    await locker.end();
    await store.close();
  }, 30000);

  it('pg_sleep past the timeout is cancelled and the client goes back to the pool', async () => {
    const url = await pg.database(`slow_${process.pid}`);
    const store = await PostgresStateStore.open(settings(url));
    const sql = store.sqlAccess();
    const err = await sql.query('SELECT pg_sleep(5)').catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'STATE_UNAVAILABLE' });
    await expect(sql.query('SELECT 1 AS one')).resolves.toEqual([{ one: 1 }]);
    await store.close();
  }, 30000);

  it('connections exhausted by other clients: clear 503s, then recovery without a restart', async () => {
    const name = `slow_${process.pid}_limit`;
    const owner = await pg.server.createDatabase(name);
    const admin = await connect(owner);
    // A non-superuser (superusers are exempt from connection limits) owning the database; the
    // database's limit stands for max_connections: the same 53300 refusal, without starving the
    // rest of the test server.
    await admin.query(`CREATE ROLE app_${name} LOGIN`);
    await admin.query(`ALTER DATABASE ${name} OWNER TO app_${name}`);
    await admin.query(`ALTER SCHEMA public OWNER TO app_${name}`);
    await admin.query(`ALTER DATABASE ${name} CONNECTION LIMIT 2`);
    await admin.end();
    const url = owner.replace('postgres://mira@', `postgres://app_${name}@`);
    const hogs = await Promise.all([connect(url), connect(url)]);
    const again = await PostgresStateStore.open(settings(url)).catch((e: unknown) => e);
    expect(again).toMatchObject({
      code: 'STATE_UNAVAILABLE',
      message: expect.stringContaining('max_connections'),
    });
    const fresh = await PostgresStateStore.open({ ...settings(url), pool_max: 4 }).catch(() => null);
    expect(fresh).toBeNull();
    await Promise.all(hogs.map((h) => h.end()));
    const started = performance.now();
    const recovered = await PostgresStateStore.open(settings(url));
    await expect(recovered.ping()).resolves.toBeUndefined();
    process.stderr.write(
      `[figures] connection limit reached: open answered STATE_UNAVAILABLE naming max_connections; ` +
        `recovered ${(performance.now() - started).toFixed(0)} ms after the other clients left\n`,
    );
    await recovered.close();
  }, 30000);
});
