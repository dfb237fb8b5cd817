import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Injectable, Logger, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { startPostgres, type PostgresServer } from '../../../apps/mira/test/support/postgres-server';
import { SqliteStateStore } from './backends/sqlite.backend';
import { StateMigrations } from './state.decorator';
import type { StateSettings } from './state.interface';
import { StateModule } from './state.module';
import { applyModuleMigrations } from './state.module-migrations';
import { StateService } from './state.service';
import type { ModuleMigration, StateMigrationSource } from './state.sql';
import { openPostgresStateSql, openSqliteStateSql, type OpenedStateSql } from './state.sql-open';

// Real engines only: sqlite (:memory: and a file) and a real PostgreSQL started by the harness.
let server: PostgresServer;
let n = 0;
const dirs: string[] = [];
beforeAll(async () => {
  Logger.overrideLogger(false);
  server = await startPostgres();
}, 60000);
afterAll(async () => {
  await server?.stop();
  dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
});

const JOBS: ModuleMigration[] = [
  {
    version: 1,
    name: 'jobs',
    sqlite:
      'CREATE TABLE jobs (id TEXT PRIMARY KEY, state TEXT NOT NULL, n INTEGER NOT NULL); CREATE INDEX jobs_state ON jobs (state);',
    postgres:
      'CREATE TABLE jobs (id text PRIMARY KEY, state text NOT NULL, n integer NOT NULL); CREATE INDEX jobs_state ON jobs (state);',
  },
  {
    version: 2,
    name: 'jobs_flag',
    sqlite: 'ALTER TABLE jobs ADD COLUMN flag INTEGER NOT NULL DEFAULT 0',
    postgres: 'ALTER TABLE jobs ADD COLUMN flag integer NOT NULL DEFAULT 0',
  },
];

const newFile = () => {
  const dir = mkdtempSync(join(tmpdir(), 'mira-sql-'));
  dirs.push(dir);
  return join(dir, 'mira.db');
};

interface Engine {
  name: string;
  /** Opens a store on a database; the same `db` key reopens the same database. */
  open(migrations: ModuleMigration[], db?: string, owner?: string): Promise<OpenedStateSql>;
  newDb(): Promise<string>;
}

const engines: Engine[] = [
  {
    name: 'sqlite (file)',
    newDb: async () => newFile(),
    open: async (m, db, owner) => openSqliteStateSql(m, { path: db ?? newFile(), owner }),
  },
  {
    name: 'postgres',
    newDb: () => server.createDatabase(`sql_${process.pid}_${++n}`),
    open: async (m, db, owner) =>
      openPostgresStateSql(db ?? (await server.createDatabase(`sql_${process.pid}_${++n}`)), m, { owner }),
  },
];

describe.each(engines)('StateSql on $name', (engine) => {
  let opened: OpenedStateSql;
  beforeEach(async () => {
    opened = await engine.open(JOBS);
  });
  afterEach(() => opened.close());

  it('runs $n parameters (repeated, next to quoted text), returns rows and affected counts', async () => {
    const { sql } = opened;
    expect(sql.dialect).toBe(engine.name.startsWith('sqlite') ? 'sqlite' : 'postgres');
    await sql.execute('INSERT INTO jobs (id, state, n) VALUES ($1, $2, $3)', ['a', 'due', 1]);
    await sql.execute("INSERT INTO jobs (id, state, n) VALUES ($1, 'cost $2', $2)", ['b', 2]);
    expect(
      await sql.query('SELECT id, state, n FROM jobs WHERE n >= $1 OR id = $2 ORDER BY id', [2, 'a']),
    ).toEqual([
      { id: 'a', state: 'due', n: 1 },
      { id: 'b', state: 'cost $2', n: 2 },
    ]);
    // A conditional claim: only the first UPDATE matches.
    const claim = () =>
      sql.execute("UPDATE jobs SET state = 'taken' WHERE id = $1 AND state = $2", ['a', 'due']);
    expect(await claim()).toEqual({ changes: 1 });
    expect(await claim()).toEqual({ changes: 0 });
    expect(await sql.query('DELETE FROM jobs WHERE id = $1', ['zzz'])).toEqual([]);
  });

  it('module migrations are applied in order and recorded as (owner, version)', async () => {
    await opened.sql.execute('INSERT INTO jobs (id, state, n, flag) VALUES ($1, $2, $3, $4)', [
      'f',
      's',
      1,
      1,
    ]);
    expect(
      await opened.sql.query('SELECT owner, version, name FROM module_migrations ORDER BY version'),
    ).toEqual([
      { owner: 'test', version: 1, name: 'jobs' },
      { owner: 'test', version: 2, name: 'jobs_flag' },
    ]);
  });

  it('a unique-key violation is STATE_DUPLICATE, outside and inside a transaction', async () => {
    const { sql } = opened;
    await sql.execute('INSERT INTO jobs (id, state, n) VALUES ($1, $2, $3)', ['a', 'due', 1]);
    await expect(
      sql.execute('INSERT INTO jobs (id, state, n) VALUES ($1, $2, $3)', ['a', 'due', 1]),
    ).rejects.toMatchObject({
      name: 'StateError',
      code: 'STATE_DUPLICATE',
    });
    await expect(
      sql.transaction(async (tx) => {
        await tx.execute('INSERT INTO jobs (id, state, n) VALUES ($1, $2, $3)', ['b', 'due', 1]);
        await tx.execute('INSERT INTO jobs (id, state, n) VALUES ($1, $2, $3)', ['a', 'due', 1]);
      }),
    ).rejects.toMatchObject({ code: 'STATE_DUPLICATE' });
    // Rolled back: 'b' is not there.
    expect(await sql.query('SELECT id FROM jobs ORDER BY id')).toEqual([{ id: 'a' }]);
  });

  it('a transaction commits its value, rolls back on throw, and its runner dies with it', async () => {
    const { sql } = opened;
    let leaked: { execute(s: string, p?: unknown[]): Promise<unknown> } | null = null;
    const value = await sql.transaction(async (tx) => {
      leaked = tx;
      await tx.execute('INSERT INTO jobs (id, state, n) VALUES ($1, $2, $3)', ['c', 'x', 3]);
      return (await tx.query<{ n: number }>('SELECT n FROM jobs WHERE id = $1', ['c']))[0].n;
    });
    expect(value).toBe(3);
    await expect(
      sql.transaction(async (tx) => {
        await tx.execute('UPDATE jobs SET n = 99 WHERE id = $1', ['c']);
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await sql.query('SELECT n FROM jobs WHERE id = $1', ['c'])).toEqual([{ n: 3 }]);
    await expect(leaked!.execute('DELETE FROM jobs')).rejects.toMatchObject({ code: 'STATE_INVALID_INPUT' });
  });

  it('bad SQL is a StateError, a missing parameter value names it', async () => {
    await expect(opened.sql.query('SELECT nope FROM jobs')).rejects.toMatchObject({
      name: 'StateError',
      code: 'STATE_QUERY_FAILED',
    });
    if (engine.name.startsWith('sqlite'))
      await expect(opened.sql.query('SELECT * FROM jobs WHERE id = $2', ['a'])).rejects.toMatchObject({
        code: 'STATE_INVALID_INPUT',
        message: expect.stringContaining('$2'),
      });
  });

  it('reopening applies only the new migrations; a failing one applies nothing and fails with STATE_MIGRATION_FAILED', async () => {
    const db = await engine.newDb();
    const first = await engine.open(JOBS.slice(0, 1), db, 'jobs');
    await first.sql.execute('INSERT INTO jobs (id, state, n) VALUES ($1, $2, $3)', ['k', 's', 1]);
    await first.close();
    const second = await engine.open(JOBS, db, 'jobs');
    expect(await second.sql.query('SELECT id, flag FROM jobs')).toEqual([{ id: 'k', flag: 0 }]);
    await second.close();
    const broken: ModuleMigration = {
      version: 3,
      name: 'broken',
      sqlite: 'CREATE TABLE t3 (a INTEGER); NOT SQL',
      postgres: 'CREATE TABLE t3 (a integer); NOT SQL',
    };
    await expect(engine.open([...JOBS, broken], db, 'jobs')).rejects.toMatchObject({
      code: 'STATE_MIGRATION_FAILED',
      message: expect.stringContaining("migration 3 (broken) of @StateMigrations('jobs')"),
    });
    const third = await engine.open(JOBS, db, 'jobs');
    expect(await third.sql.query('SELECT version FROM module_migrations ORDER BY version')).toEqual([
      { version: 1 },
      { version: 2 },
    ]);
    await expect(third.sql.query('SELECT * FROM t3')).rejects.toMatchObject({ code: 'STATE_QUERY_FAILED' });
    await third.close();
  });

  it('versions out of order are refused before anything is applied', async () => {
    await expect(engine.open([JOBS[1]])).rejects.toMatchObject({
      code: 'STATE_MIGRATION_FAILED',
      message: expect.stringContaining('versions must be 1, 2, 3'),
    });
  });
});

// Replicas serialise on an advisory lock. (sqlite processes serialise on BEGIN IMMEDIATE; two stores on
// one file in ONE process would block its event loop on the busy wait, which is no deployment.)
describe('StateSql on postgres: replicas', () => {
  it('stores opening one new database at once apply each module migration once', async () => {
    const db = await engines[1].newDb();
    const all = await Promise.all(Array.from({ length: 3 }, () => engines[1].open(JOBS, db, 'jobs')));
    expect(await all[0].sql.query('SELECT version FROM module_migrations ORDER BY version')).toEqual([
      { version: 1 },
      { version: 2 },
    ]);
    for (const o of all) await o.close();
  });
});

describe('StateSql on sqlite: serialised with the store', () => {
  it('store operations wait for an open transaction, and calling the store inside it is refused', async () => {
    const store = SqliteStateStore.open(':memory:');
    await applyModuleMigrations(store.sqlAccess(), [{ owner: 'jobs', migrations: JOBS }]);
    const sql = store.sqlAccess();
    const order: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const tx = sql.transaction(async (t) => {
      await t.execute("INSERT INTO jobs (id, state, n) VALUES ('t', 's', 1)");
      await gate;
      order.push('tx done');
    });
    const outside = store.countByStatus().then(() => order.push('store read'));
    const plain = sql.query('SELECT id FROM jobs').then((rows) => order.push(`sql read ${rows.length}`));
    await new Promise((r) => setImmediate(r));
    expect(order).toEqual([]);
    release();
    await Promise.all([tx, outside, plain]);
    expect(order).toEqual(['tx done', 'store read', 'sql read 1']);
    await expect(sql.transaction(() => store.getWorkflow('x'))).rejects.toMatchObject({
      code: 'STATE_INVALID_INPUT',
      message: expect.stringContaining('use only the `tx` runner'),
    });
    await store.close();
  });
});

describe('@StateMigrations discovery and StateService.sql()', () => {
  @Injectable()
  @StateMigrations('jobs')
  class JobsTables implements StateMigrationSource {
    migrations() {
      return JOBS;
    }
  }
  @Module({ providers: [JobsTables] })
  class JobsModule {}

  const settings = (path: string): StateSettings => ({
    backend: 'sqlite',
    sqlite: { path },
    postgres: { url: null, pool_max: 2, statement_timeout_ms: 2000, connect_timeout_ms: 1000 },
  });

  it('applies a module’s migrations at init; sql() works after init and says how to fix before it', async () => {
    const path = newFile();
    const early = new StateService({ settings: settings(path) });
    expect(() => early.sql()).toThrow(
      expect.objectContaining({
        code: 'STATE_UNAVAILABLE',
        message: expect.stringContaining('onApplicationBootstrap'),
      }),
    );
    const ref = await Test.createTestingModule({
      imports: [StateModule.forRoot({ settings: () => settings(path), isGlobal: true }), JobsModule],
    }).compile();
    await ref.init();
    const sql = ref.get(StateService).sql();
    expect(await sql.query('SELECT owner, version FROM module_migrations ORDER BY version')).toEqual([
      { owner: 'jobs', version: 1 },
      { owner: 'jobs', version: 2 },
    ]);
    expect(await sql.execute("INSERT INTO jobs (id, state, n) VALUES ('a', 'b', 1)")).toEqual({ changes: 1 });
    await ref.close();
    expect(() => ref.get(StateService).sql()).toThrow(expect.objectContaining({ code: 'STATE_CLOSED' }));
  });
});
