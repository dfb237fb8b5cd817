import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  findPostgresBindir,
  startPostgres,
  type PostgresServer,
} from '../../../../apps/mira/test/support/postgres-server';
import { PostgresStateStore } from '../backends/postgres.backend';
import { SqliteStateStore } from '../backends/sqlite.backend';
import { auditFor, newRecord } from '../state.contract.testing';
import type { StateStore } from '../state.interface';
import {
  backupPostgres,
  backupSqlite,
  manifestPath,
  pgEnv,
  restorePostgres,
  restoreSqlite,
} from './state.backup';

const mode = (file: string) => statSync(file).mode & 0o777;

// Round trips on both backends: a store with mixed statuses, decisions and audit, backed up while
// open, restored elsewhere; afterwards the chain verifies and the anchor taken at backup time (the
// manifest's head) is the restored chain's entry at that seq.
const dirs: string[] = [];
let server: PostgresServer;
beforeAll(async () => {
  server = await startPostgres();
}, 60000);
afterAll(async () => {
  dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
  await server?.stop();
});
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'mira-backup-'));
  dirs.push(d);
  return d;
};

async function fill(store: StateStore): Promise<void> {
  for (let i = 0; i < 6; i++) {
    const id = `wf-backup-${i}`;
    const { record } = await store.createWorkflow(newRecord({ workflow_id: id }), [auditFor(id)]);
    if (i % 3 === 0) continue;
    const decision = i % 3 === 1 ? 'approve' : 'reject';
    await store.updateWorkflow(
      id,
      record.version,
      {
        status: decision === 'approve' ? 'approved' : 'rejected',
        decisions: [
          { actor: 'key:bob', actor_name: 'bob', decision, comment: 'ok', at: new Date().toISOString() },
        ],
      } as never,
      [auditFor(id, decision, { actor: 'bob', to_status: decision === 'approve' ? 'approved' : 'rejected' })],
    );
  }
}

async function expectRestored(store: StateStore, head: { seq: number; hash: string } | null): Promise<void> {
  expect((await store.verifyAudit()).ok).toBe(true);
  expect(head).not.toBeNull();
  const entries = (await store.listAudit({ limit: 500 })).items;
  expect(entries.find((e) => e.seq === head!.seq)?.hash).toBe(head!.hash);
  expect(await store.countByStatus()).toEqual({ pending_approval: 2, approved: 2, rejected: 2 });
  const approved = await store.getWorkflow('wf-backup-1');
  expect(approved?.decisions).toMatchObject([{ actor: 'key:bob', decision: 'approve' }]);
}

describe('state backup and restore', () => {
  it('sqlite: VACUUM INTO while open, restore to a new path, verify and anchor', async () => {
    const dir = tempDir();
    const live = join(dir, 'live.db');
    const store = SqliteStateStore.open(live);
    await fill(store);
    const head = await store.auditHead();
    const manifest = await backupSqlite(live, join(dir, 'backup.db'));
    // The store's real head (newest entry), with its chain and key id, and the entry count.
    expect(manifest.audit_head).toEqual({
      seq: head!.seq,
      hash: head!.link,
      chain: head!.chain,
      key_id: head!.key_id,
    });
    expect(manifest.audit_entries).toBe(10);
    expect(manifest.key_id).toBe(head!.key_id);
    expect([mode(join(dir, 'backup.db')), mode(manifestPath(join(dir, 'backup.db')))]).toEqual([
      0o600, 0o600,
    ]);
    // Written after the backup: not in it.
    await store.createWorkflow(newRecord({ workflow_id: 'wf-later' }), [auditFor('wf-later')]);
    await store.close();
    expect(manifest).toMatchObject({ backend: 'sqlite', schema_versions: [1, 2, 3, 4, 5, 6, 7] });
    writeFileSync(join(dir, 'restored.db-wal'), 'stale');
    expect(() => restoreSqlite(join(dir, 'backup.db'), join(dir, 'restored.db'))).toThrow(
      /restored\.db-wal exist beside the restore target/,
    );
    rmSync(join(dir, 'restored.db-wal'));
    // The manifest records the file; a copy cut short or altered is refused before anything is written.
    expect(manifest.file).toEqual({
      size: statSync(join(dir, 'backup.db')).size,
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    const original = readFileSync(join(dir, 'backup.db'));
    writeFileSync(join(dir, 'backup.db'), original.subarray(0, original.length - 4096));
    expect(() => restoreSqlite(join(dir, 'backup.db'), join(dir, 'restored.db'))).toThrow(
      /backup\.db is \d+ bytes but its manifest says \d+: the backup is incomplete/,
    );
    const flipped = Buffer.from(original);
    flipped[flipped.length - 1] ^= 0xff;
    writeFileSync(join(dir, 'backup.db'), flipped);
    expect(() => restoreSqlite(join(dir, 'backup.db'), join(dir, 'restored.db'))).toThrow(
      /does not match the sha256 in its manifest/,
    );
    expect(existsSync(join(dir, 'restored.db'))).toBe(false);
    writeFileSync(join(dir, 'backup.db'), original);
    restoreSqlite(join(dir, 'backup.db'), join(dir, 'restored.db'));
    const restored = SqliteStateStore.open(join(dir, 'restored.db'));
    await expectRestored(restored, manifest.audit_head);
    expect(await restored.getWorkflow('wf-later')).toBeNull();
    await restored.close();
    expect(() => restoreSqlite(join(dir, 'backup.db'), join(dir, 'restored.db'))).toThrow(/exists/);
  });

  it('refuses a manifest without the file entry unless unchecked, on both backends', async () => {
    const dir = tempDir();
    const live = join(dir, 'live.db');
    const store = SqliteStateStore.open(live);
    await fill(store);
    await store.close();
    const backup = join(dir, 'backup.db');
    const manifest = await backupSqlite(live, backup);
    // Deleting `file` from the manifest must not downgrade the check to a note.
    const { file: _file, ...stripped } = manifest;
    writeFileSync(manifestPath(backup), JSON.stringify(stripped));
    const refused = /records no size or sha256 .* --unchecked/;
    expect(() => restoreSqlite(backup, join(dir, 'restored.db'))).toThrow(refused);
    expect(() => restorePostgres(backup, 'postgres://mira@127.0.0.1:1/none')).toThrow(refused);
    expect(existsSync(join(dir, 'restored.db'))).toBe(false);
    writeFileSync(manifestPath(backup), '{"format":');
    expect(() => restoreSqlite(backup, join(dir, 'restored.db'))).toThrow(/is not valid JSON/);
    // The operator vouches for the file: restored, and the audit still verifies.
    writeFileSync(manifestPath(backup), JSON.stringify(stripped));
    expect(restoreSqlite(backup, join(dir, 'restored.db'), { unchecked: true }).file).toBeUndefined();
    const restored = SqliteStateStore.open(join(dir, 'restored.db'));
    await expectRestored(restored, manifest.audit_head);
    await restored.close();
  });

  it('postgres: pg_dump custom format plus manifest, pg_restore into a new database, verify and anchor', async () => {
    const dir = tempDir();
    const bindir = `${findPostgresBindir()}/`;
    const url = await server.createDatabase(`backup_src_${process.pid}`);
    const settings = { pool_max: 3, statement_timeout_ms: 5000, connect_timeout_ms: 2000 };
    const store = await PostgresStateStore.open({ url, ...settings });
    await fill(store);
    const head = await store.auditHead();
    const manifest = await backupPostgres(url, join(dir, 'backup.dump'), bindir);
    await store.close();
    expect(manifest.audit_head).toMatchObject({ seq: head!.seq, hash: head!.link, chain: head!.chain });
    expect(manifest.audit_entries).toBe(10);
    expect([mode(join(dir, 'backup.dump')), mode(manifestPath(join(dir, 'backup.dump')))]).toEqual([
      0o600, 0o600,
    ]);
    expect(manifest).toMatchObject({ backend: 'postgres', schema_versions: [1, 2, 3, 4, 5, 6, 7] });
    const target = await server.createDatabase(`backup_dst_${process.pid}`);
    const dump = readFileSync(join(dir, 'backup.dump'));
    const flipped = Buffer.from(dump);
    flipped[flipped.length >> 1] ^= 0xff;
    writeFileSync(join(dir, 'backup.dump'), flipped);
    expect(() => restorePostgres(join(dir, 'backup.dump'), target, bindir)).toThrow(
      /does not match the sha256 in its manifest/,
    );
    writeFileSync(join(dir, 'backup.dump'), dump);
    restorePostgres(join(dir, 'backup.dump'), target, bindir);
    const restored = await PostgresStateStore.open({ url: target, ...settings });
    await expectRestored(restored, manifest.audit_head);
    await restored.close();
  }, 60000);

  it('passes the URL query options (sslmode and others) to pg_dump / pg_restore as libpq variables', () => {
    const env = pgEnv(
      'postgres://u:p%40ss@db.example:6432/mira?sslmode=verify-full&sslrootcert=/ca.pem&connect_timeout=5',
    );
    expect(env).toMatchObject({
      PGHOST: 'db.example',
      PGPORT: '6432',
      PGPASSWORD: 'p@ss',
      PGDATABASE: 'mira',
      PGSSLMODE: 'verify-full',
      PGSSLROOTCERT: '/ca.pem',
      PGCONNECT_TIMEOUT: '5',
    });
  });
});
