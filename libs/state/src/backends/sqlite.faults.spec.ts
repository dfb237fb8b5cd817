import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, renameSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { auditFor, newRecord } from '../state.contract.testing';
import { StateError } from '../state.error';
import { SqliteCheckpointer } from './sqlite.checkpointer';
import { SqliteStateStore } from './sqlite.backend';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { DatabaseSync } = require('node:sqlite') as typeof import('node:sqlite');

const dirs: string[] = [];
const mounts: string[] = [];
afterAll(() => {
  for (const m of mounts) execFileSync('umount', ['-l', m]);
  dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
});
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'mira-sqlite-faults-'));
  dirs.push(d);
  return d;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Polls `check` until it holds or 10 s pass (a loaded machine boots a thread slowly). */
async function eventually(check: () => boolean): Promise<void> {
  for (const end = Date.now() + 10_000; !check() && Date.now() < end;) await sleep(25);
}

function integrity(path: string): string {
  const db = new DatabaseSync(path);
  try {
    return String(
      (db.prepare('PRAGMA integrity_check').get() as { integrity_check: string }).integrity_check,
    );
  } finally {
    db.close();
  }
}

describe('sqlite store faults (issue 33 defects)', () => {
  it('a failing read answers a coded StateError, as writes do', async () => {
    const path = join(tempDir(), 'mira.db');
    const store = SqliteStateStore.open(path);
    await store.createWorkflow(newRecord({ workflow_id: 'wf-read' }), [auditFor('wf-read')]);
    const other = new DatabaseSync(path);
    other.exec('ALTER TABLE workflows RENAME TO workflows_gone');
    other.close();
    for (const read of [
      () => store.getWorkflow('wf-read'),
      () => store.listWorkflows({ limit: 10 }),
      () => store.findExpired(['pending_approval'], new Date().toISOString(), 10),
      () => store.countByStatus(),
    ]) {
      const err = await read().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StateError);
      expect(err).toMatchObject({
        code: 'STATE_QUERY_FAILED',
        message: expect.stringContaining('no such table'),
      });
    }
    await store.close();
  });

  it('a failing revokeSession is mapped once (the message is not wrapped twice)', async () => {
    const path = join(tempDir(), 'mira.db');
    const store = SqliteStateStore.open(path);
    const other = new DatabaseSync(path);
    other.exec('DROP TABLE revoked_sessions');
    other.close();
    const err = (await store
      .revokeSession('sid', '2099-01-01T00:00:00.000Z', new Date().toISOString())
      .catch((e: unknown) => e)) as StateError;
    expect(err).toMatchObject({ code: 'STATE_QUERY_FAILED' });
    expect(err.message.match(/revokeSession/g)).toHaveLength(1);
    await store.close();
  });
});

describe('sqlite store faults (issue 31)', () => {
  it('a full disk answers STATE_STORAGE_FULL (retryable), keeps the file intact and recovers', async () => {
    const mount = tempDir();
    // A 3 MiB tmpfs: the sandbox runs as root (as CI does), so a real small filesystem is made.
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=3m', 'tmpfs', mount]);
    mounts.push(mount);
    const path = join(mount, 'mira.db');
    // A filler file stands for the other tenants of the disk; deleting it gives the space back.
    const filler = join(mount, 'filler');
    writeFileSync(filler, Buffer.alloc(1024 * 1024));
    const store = SqliteStateStore.open(path);
    const big = 'x'.repeat(64 * 1024);
    let full: unknown = null;
    let acknowledged = 0;
    for (let i = 0; i < 200 && !full; i++) {
      const id = `wf-full-${i}`;
      try {
        await store.createWorkflow(newRecord({ workflow_id: id, data: { big } }), [auditFor(id)]);
        acknowledged++;
      } catch (err) {
        full = err;
      }
    }
    expect(full).toMatchObject({
      code: 'STATE_STORAGE_FULL',
      retryable: true,
      message: expect.stringContaining('disk holding the database is full'),
    });
    // Reads still answer; every acknowledged write is there; the chain verifies.
    expect((await store.countByStatus()).pending_approval).toBe(acknowledged);
    expect((await store.verifyAudit()).ok).toBe(true);
    // Space comes back: the same store writes again, no restart.
    unlinkSync(filler);
    await store.createWorkflow(newRecord({ workflow_id: 'wf-after' }), [auditFor('wf-after')]);
    expect(await store.getWorkflow('wf-after')).not.toBeNull();
    expect((await store.verifyAudit()).ok).toBe(true);
    await store.close();
    expect(integrity(path)).toBe('ok');
  });

  it('a database file deleted underneath is reported by ping (health) and by requests', async () => {
    const dir = tempDir();
    const path = join(dir, 'mira.db');
    const store = SqliteStateStore.open(path);
    await store.createWorkflow(newRecord({ workflow_id: 'wf-del' }), [auditFor('wf-del')]);
    for (const f of ['mira.db', 'mira.db-wal', 'mira.db-shm']) rmSync(join(dir, f), { force: true });
    await expect(store.ping()).rejects.toMatchObject({
      code: 'STATE_UNAVAILABLE',
      message: expect.stringContaining('was deleted'),
    });
    const write = await store
      .createWorkflow(newRecord({ workflow_id: 'wf-lost' }), [auditFor('wf-lost')])
      .catch((e: unknown) => e);
    expect(write).toMatchObject({ code: 'STATE_UNAVAILABLE' });
    await store.close();
  });

  it('a database file replaced underneath is reported', async () => {
    const dir = tempDir();
    const path = join(dir, 'mira.db');
    const store = SqliteStateStore.open(path);
    const copy = join(dir, 'copy.db');
    new DatabaseSync(path).exec(`VACUUM INTO '${copy}'`);
    renameSync(copy, path);
    await expect(store.ping()).rejects.toMatchObject({
      code: 'STATE_UNAVAILABLE',
      message: expect.stringContaining('replaced'),
    });
    await store.close();
  });

  it('the WAL checkpointer survives an I/O error and keeps the process up', async () => {
    const dir = tempDir();
    const path = join(dir, 'gone', 'mira.db');
    mkdirSync(join(dir, 'gone'));
    writeFileSync(path, 'this is not a database, and reading it as one fails');
    // The thread starts once the WAL has frames to move.
    writeFileSync(`${path}-wal`, 'frames');
    const checkpointer = new SqliteCheckpointer(path, 50, 100);
    await eventually(() => checkpointer.failures > 0);
    await sleep(300); // further attempts fail too, and are not reported again
    expect(checkpointer.failures).toBe(1);
    unlinkSync(path);
    await sleep(200);
    await checkpointer.stop();
  });
});

describe('sqlite WAL checkpoint thread', () => {
  it('starts only once the WAL has frames to move, and then moves them', async () => {
    const path = join(tempDir(), 'mira.db');
    const setup = new DatabaseSync(path);
    setup.exec('PRAGMA journal_mode = WAL; CREATE TABLE t (v TEXT)');
    setup.close(); // a clean close checkpoints and removes the WAL
    const checkpointer = new SqliteCheckpointer(path, 50, 100);
    try {
      await sleep(300);
      expect(checkpointer.started).toBe(false);
      const db = new DatabaseSync(path);
      db.exec('PRAGMA wal_autocheckpoint = 0');
      db.prepare('INSERT INTO t (v) VALUES (?)').run('x'.repeat(4096));
      // Written to the WAL only: the database file grows when a checkpoint moves the frames.
      const before = statSync(path).size;
      await eventually(() => checkpointer.started);
      expect(checkpointer.started).toBe(true);
      await eventually(() => statSync(path).size > before);
      expect(statSync(path).size).toBeGreaterThan(before);
      db.close();
    } finally {
      await checkpointer.stop();
    }
    expect(checkpointer.failures).toBe(0);
  });
});

describe('forward-only migrations', () => {
  it('a database migrated by a newer release is refused with a clear message', async () => {
    const path = join(tempDir(), 'mira.db');
    await SqliteStateStore.open(path).close();
    const db = new DatabaseSync(path);
    db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(
      99,
      'from_the_future',
      new Date().toISOString(),
    );
    db.close();
    expect(() => SqliteStateStore.open(path)).toThrow(
      expect.objectContaining({
        code: 'STATE_MIGRATION_FAILED',
        message: expect.stringContaining('schema version 99, newer than this release knows'),
      }),
    );
  });
});
