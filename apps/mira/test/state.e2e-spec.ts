import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { STATE_STORE, type StateStore } from '@mira/state';
import { bareRecord } from '../../../libs/state/src/state.engines.testing';
import { fatalLine, freePort, runNode } from './support/child';
import { startPostgres, type PostgresServer } from './support/postgres-server';
import { builtEntry, startService, type ServiceProcess } from './support/service-process';
import { request, startTestApp, type TestApp } from './support/test-app';

// The durable state store in the real app: the `state` check on /healthz, readiness when the
// database goes away, the start refusals, and two processes sharing one sqlite file.

const dirs: string[] = [];
const temp = () => {
  const d = mkdtempSync(join(tmpdir(), 'mira-state-e2e-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

async function waitForStatus(url: string, status: number, timeoutMs = 20000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await request(url);
    if (res.status === status) return res;
    if (Date.now() > deadline) throw new Error(`${url} stayed ${res.status}, wanted ${status}: ${res.text}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('state store on sqlite (a file in a temp dir)', () => {
  let t: TestApp;
  let path: string;
  beforeAll(async () => {
    path = join(temp(), 'not-yet', 'mira.db');
    t = await startTestApp({ overrides: { state: { backend: 'sqlite', sqlite: { path } } } });
  });
  afterAll(() => t?.close());

  it('creates the file (and its directory) and reports the `state` check with backend and latency only', async () => {
    expect(existsSync(path)).toBe(true);
    const res = await request(`${t.url}/healthz`);
    expect(res.status).toBe(200);
    expect(res.body.checks.state).toEqual({
      status: 'healthy',
      backend: 'sqlite',
      latency_ms: expect.any(Number),
    });
    expect((await request(`${t.url}/healthz/ready`)).status).toBe(200);
  });

  it('STATE_STORE is the injectable store of the running app', async () => {
    const store = t.app.get<StateStore>(STATE_STORE);
    const { created } = await store.createWorkflow(bareRecord({ workflow_id: 'e2e-1' }), []);
    expect(created).toBe(true);
    expect(await store.countByStatus()).toEqual({ pending_approval: 1 });
  });
});

describe('state store on a real PostgreSQL', () => {
  let server: PostgresServer;
  let t: TestApp;
  const password = 'e2e-Pg-pa55word';
  let url: string;
  beforeAll(async () => {
    server = await startPostgres();
    url = await server.createDatabase('e2e_state', password);
    // The URL arrives as a secret:// reference (env secrets backend), resolved before the store connects.
    t = await startTestApp({
      env: {
        MIRA_STATE__BACKEND: 'postgres',
        MIRA_STATE__POSTGRES__URL: 'secret://mira-postgres:url',
        MIRA_POSTGRES_URL: url,
      },
    });
  }, 60000);
  afterAll(async () => {
    await t?.close();
    await server?.stop();
  });

  it('reports the `state` check (backend and latency, no URL or password)', async () => {
    const res = await request(`${t.url}/healthz`);
    expect(res.status).toBe(200);
    expect(res.body.checks.state).toEqual({
      status: 'healthy',
      backend: 'postgres',
      latency_ms: expect.any(Number),
    });
    for (const secret of [password, url, 'postgres://', `:${server.port}`])
      expect(res.text).not.toContain(secret);
  });

  it('readiness answers 503 while the database is down (no URL or password) and recovers after', async () => {
    await server.down();
    try {
      const ready = await waitForStatus(`${t.url}/healthz/ready`, 503);
      const full = await request(`${t.url}/healthz`);
      expect(full.status).toBe(503);
      expect(full.body.checks.state).toMatchObject({ status: 'unhealthy', backend: 'postgres' });
      for (const text of [ready.text, full.text])
        for (const secret of [password, url, 'postgres://', `:${server.port}`])
          expect(text).not.toContain(secret);
      expect((await request(`${t.url}/healthz/live`)).status).toBe(200);
    } finally {
      await server.restart();
    }
    await waitForStatus(`${t.url}/healthz/ready`, 200);
  }, 60000);
});

describe('start refusals (the built service as a child process)', () => {
  // Builds dist/ first when stale (minutes on a busy 2-core machine), outside the tests' own time.
  beforeAll(() => void builtEntry(), 300000);

  /** Starts with `config`; answers the one fatal line (see fatalLine). */
  async function run(config: Record<string, unknown>) {
    const dir = temp();
    const file = join(dir, 'mira.yaml');
    writeFileSync(file, stringify(config));
    const child = runNode([builtEntry()], { MIRA_CONFIG_FILE: file, PORT: String(await freePort()) });
    return fatalLine(child);
  }

  it('broker.transport redis with state.backend sqlite exits 1 with one line saying what to set', async () => {
    const line = await run({ broker: { transport: 'redis' } });
    expect(line).toContain(
      'state.backend is sqlite while broker.transport is redis: approvals stored on one replica would be invisible to the others; set state.backend: postgres (MIRA_STATE__BACKEND=postgres) and state.postgres.url',
    );
  }, 60000);

  it('an unreachable postgres at start exits 1 with one line naming the key, without the password', async () => {
    const secret = 'never-print-me-42';
    const line = await run({
      state: {
        backend: 'postgres',
        postgres: { url: `postgres://mira:${secret}@127.0.0.1:1/mira`, connect_timeout_ms: 1000 },
      },
    });
    expect(line).toMatch(/^mira: fatal: .*state\.postgres\.url/);
    expect(line).not.toContain(secret);
    expect(line).not.toContain('postgres://');
  }, 60000);
});

describe('two service processes sharing one sqlite file', () => {
  const services: ServiceProcess[] = [];
  afterAll(async () => {
    for (const s of services) await s.kill();
  });

  it('both start (migrations once, WAL + busy_timeout) and both report the store healthy', async () => {
    const path = join(temp(), 'shared.db');
    const config = { state: { sqlite: { path } } };
    services.push(...(await Promise.all([startService({ config }), startService({ config })])));
    for (const s of services) {
      const ready = await waitForStatus(`${s.url}/healthz/ready`, 200);
      expect(ready.status).toBe(200);
      const res = await request(`${s.url}/healthz`);
      expect(res.body.checks.state).toMatchObject({ status: 'healthy', backend: 'sqlite' });
    }
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { DatabaseSync } = require('node:sqlite') as typeof import('node:sqlite');
    const db = new DatabaseSync(path, { readOnly: true, timeout: 5000 });
    try {
      expect(db.prepare('SELECT version FROM schema_migrations ORDER BY version').all()).toEqual([
        { version: 1 },
        { version: 2 },
        { version: 3 },
        { version: 4 },
        { version: 5 },
        { version: 6 },
        { version: 7 },
      ]);
      expect(Object.values(db.prepare('PRAGMA journal_mode').get()!)[0]).toBe('wal');
    } finally {
      db.close();
    }
  }, 90000);
});
