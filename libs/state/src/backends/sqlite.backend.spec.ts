import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import {
  defineConcurrentMigrationTest,
  defineStateStoreContract,
  newRecord,
  type ContractTarget,
} from '../state.contract.testing';
import { defineLegacyUpgradeTest } from '../state.contract-legacy.testing';
import { defineLegacyActorMigrationTest } from '../state.contract-identity.testing';
import { SqliteStateStore } from './sqlite.backend';
import { SQLITE_MIGRATIONS } from './sqlite.migrations';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { DatabaseSync: Sqlite } = require('node:sqlite') as typeof import('node:sqlite');

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** A new file per database (the parent directory does not exist yet: the store creates it). */
const fileTarget: ContractTarget = {
  async newDatabase() {
    const dir = mkdtempSync(join(tmpdir(), 'mira-state-'));
    dirs.push(dir);
    const path = join(dir, 'nested', 'mira.db');
    let raw: DatabaseSync | null = null;
    return {
      shared: true,
      open: async () => SqliteStateStore.open(path),
      async sql(text) {
        raw ??= new Sqlite(path, { timeout: 5000 });
        return raw.prepare(text).all() as Record<string, unknown>[];
      },
      async drop() {
        raw?.close();
      },
    };
  },
};

/** `:memory:`: one connection only, so raw SQL goes through that connection. */
const memoryTarget: ContractTarget = {
  async newDatabase() {
    let store: SqliteStateStore | null = null;
    return {
      shared: false,
      async open() {
        store = SqliteStateStore.open(':memory:');
        return store;
      },
      async sql(text) {
        const db = (store as unknown as { db: DatabaseSync }).db;
        return db.prepare(text).all() as Record<string, unknown>[];
      },
    };
  },
};

defineStateStoreContract('sqlite (file)', fileTarget);
defineStateStoreContract('sqlite (:memory:)', memoryTarget);
defineLegacyUpgradeTest('sqlite (file)', fileTarget, 'sqlite');

describe('sqlite specifics', () => {
  defineConcurrentMigrationTest('sqlite (file)', fileTarget);

  it('uses WAL, synchronous=NORMAL, a busy timeout and foreign keys on the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mira-state-'));
    dirs.push(dir);
    const store = SqliteStateStore.open(join(dir, 'm.db'));
    const db = (store as unknown as { db: DatabaseSync }).db;
    const pragma = (p: string) => Object.values(db.prepare(`PRAGMA ${p}`).get()!)[0];
    expect(pragma('journal_mode')).toBe('wal');
    expect(pragma('synchronous')).toBe(1); // NORMAL
    expect(pragma('busy_timeout')).toBe(5000);
    expect(pragma('foreign_keys')).toBe(1);
    await store.close();
  });

  it('the approvals list (status = pending_approval, newest first, by cursor) reads the status index, no sort', async () => {
    const store = SqliteStateStore.open(':memory:');
    const db = (store as unknown as { db: DatabaseSync }).db;
    for (let i = 0; i < 300; i++)
      await store.createWorkflow(newRecord({ status: i % 10 ? 'completed' : 'pending_approval' }), []);
    db.exec('ANALYZE');
    // The statements the store really runs, captured as it prepares them.
    const seen: string[] = [];
    const prepare = db.prepare.bind(db);
    jest.spyOn(db, 'prepare').mockImplementation((sql: string) => (seen.push(sql), prepare(sql)));
    const first = await store.listWorkflows({ status: 'pending_approval', limit: 5 });
    await store.listWorkflows({ status: 'pending_approval', limit: 5, cursor: first.next_cursor });
    jest.restoreAllMocks();
    const lists = seen.filter((q) => q.includes('FROM workflows') && q.includes('ORDER BY created_at DESC'));
    expect(lists).toHaveLength(2);
    for (const q of lists) {
      const plan = (
        db.prepare(`EXPLAIN QUERY PLAN ${q}`).all(
          ...q
            .split('?')
            .slice(1)
            .map(() => 'x'),
        ) as {
          detail: string;
        }[]
      ).map((r) => r.detail);
      expect(plan.join('\n')).toMatch(/USING INDEX workflows_status_created \(status=\?/);
      expect(plan.join('\n')).not.toMatch(/TEMP B-TREE/);
    }
    await store.close();
  });

  it('an unusable path is STATE_UNAVAILABLE naming the path and the key to fix', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mira-state-'));
    dirs.push(dir);
    // A regular file where the parent directory should be.
    writeFileSync(join(dir, 'file'), 'x');
    expect(() => SqliteStateStore.open(join(dir, 'file', 'mira.db'))).toThrow(
      expect.objectContaining({
        code: 'STATE_UNAVAILABLE',
        message: expect.stringContaining('state.sqlite.path'),
      }),
    );
  });
});

describe('sqlite WAL checkpoints (off the event loop)', () => {
  it('keeps the WAL bounded: a checkpoint thread lets writers reuse it instead of growing it', async () => {
    const { statSync } = await import('node:fs');
    const dir = mkdtempSync(join(tmpdir(), 'mira-state-wal-'));
    dirs.push(dir);
    const path = join(dir, 'mira.db');
    const store = SqliteStateStore.open(path);
    const now = new Date().toISOString();
    const round = async (r: number) => {
      for (let i = 0; i < 300; i++)
        await store.createWorkflow(
          newRecord({
            workflow_id: `wf-${r}-${i}`,
            workflow_type: 't',
            status: 'completed',
            created_at: now,
            data: { padding: 'x'.repeat(512) },
          }),
          [],
        );
      // Longer than the checkpoint interval: the thread has moved this round into the database.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      return statSync(`${path}-wal`).size;
    };
    try {
      const first = await round(1);
      let last = first;
      for (let r = 2; r <= 4; r++) last = await round(r);
      // Without checkpoints (wal_autocheckpoint=0 on the main connection) the WAL would hold all
      // four rounds; with them each round reuses the space the previous one freed.
      expect(last).toBeLessThan(first * 2);
    } finally {
      await store.close();
    }
  });
});

// The file must exist before the store opens it (old schema written first).
const existingFileTarget: ContractTarget = {
  async newDatabase() {
    const dir = mkdtempSync(join(tmpdir(), 'mira-state-'));
    dirs.push(dir);
    const raw = new Sqlite(join(dir, 'mira.db'), { timeout: 5000 });
    return {
      shared: true,
      open: async () => SqliteStateStore.open(join(dir, 'mira.db')),
      sql: async (text) => raw.prepare(text).all() as Record<string, unknown>[],
      drop: async () => raw.close(),
    };
  },
};
defineLegacyActorMigrationTest('sqlite (file)', existingFileTarget, SQLITE_MIGRATIONS);
