// Backups of the state store, as a module the `mira` CLI can call (and scripts/state-backup.js
// calls today): SQLite through VACUUM INTO (online, one consistent snapshot), PostgreSQL through
// pg_dump's custom format. Each backup gets a manifest beside it: schema versions, the audit head
// (seq + link) and the key id, so a restore can be checked against what was backed up.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  copyFileSync,
  existsSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { StateError } from '../state.error';
import { loadSqlite } from '../backends/sqlite.driver';

export interface BackupManifest {
  format: 'mira-state-backup/1';
  backend: 'sqlite' | 'postgres';
  created_at: string;
  schema_versions: number[];
  module_migrations: { owner: string; version: number }[];
  /** The newest audit entry: its seq, link (`hash`), chain and key id (null on an empty trail). */
  audit_head: { seq: number; hash: string; chain: string | null; key_id: string | null } | null;
  /** How many audit entries the backup holds. */
  audit_entries: number;
  /** The key id the newest entry was linked with (null before keyed chains, or with no entries). */
  key_id: string | null;
  /** The backup file itself (absent in manifests written before 0.3): restore refuses a mismatch. */
  file?: { size: number; sha256: string };
}

/** Backups hold every workflow's data and the audit trail: owner-only, whatever the umask. */
const PRIVATE = 0o600;

function writePrivate(path: string, text: string): void {
  writeFileSync(path, text, { mode: PRIVATE });
  chmodSync(path, PRIVATE);
}

export const manifestPath = (file: string) => `${file}.manifest.json`;

/** Size and SHA-256 of a backup file, streamed in chunks (dumps can be large). */
export function fileDigest(file: string): { size: number; sha256: string } {
  const hash = createHash('sha256');
  const fd = openSync(file, 'r');
  const buf = Buffer.alloc(1 << 20);
  let size = 0;
  try {
    for (let n; (n = readSync(fd, buf, 0, buf.length, null)) > 0; size += n) hash.update(buf.subarray(0, n));
  } finally {
    closeSync(fd);
  }
  return { size, sha256: hash.digest('hex') };
}

/** How a restore treats its backup. */
export interface RestoreOptions {
  /**
   * Restore even when the manifest records no size and SHA-256 of the file (written before 0.3):
   * the operator vouches for the file (`npm run restore -- <file> --unchecked`). A manifest that
   * does record them is still checked.
   */
  unchecked?: boolean;
}

/**
 * Reads the manifest beside `file` and checks the file against it (size, then SHA-256): a backup cut
 * short by a full disk, or swapped for another, is refused before it replaces anything. A manifest
 * without `file` is refused too unless `unchecked`: deleting that entry must not turn the check off.
 */
export function checkBackup(file: string, { unchecked = false }: RestoreOptions = {}): BackupManifest {
  if (!existsSync(file))
    throw new StateError('STATE_INVALID_INPUT', `${file} does not exist: name a backup file`);
  if (!existsSync(manifestPath(file)))
    throw new StateError(
      'STATE_INVALID_INPUT',
      `${manifestPath(file)} is missing: restore a backup together with the manifest written beside it`,
    );
  let manifest: BackupManifest;
  try {
    manifest = JSON.parse(readFileSync(manifestPath(file), 'utf8')) as BackupManifest;
  } catch {
    throw new StateError(
      'STATE_INVALID_INPUT',
      `${manifestPath(file)} is not valid JSON: restore a backup together with the manifest written beside it`,
    );
  }
  if (manifest.file === undefined || manifest.file === null) {
    if (unchecked) return manifest;
    throw new StateError(
      'STATE_INVALID_INPUT',
      `${manifestPath(file)} records no size or sha256 of ${file} (a manifest from before 0.3, or an edited one), so the ` +
        'file cannot be checked: restore a backup whose manifest records them, or, if you know this file is the ' +
        `right one, restore it unchecked (npm run restore -- ${file} --unchecked)`,
    );
  }
  const size = statSync(file).size;
  if (size !== manifest.file.size)
    throw new StateError(
      'STATE_INVALID_INPUT',
      `${file} is ${size} bytes but its manifest says ${manifest.file.size}: the backup is incomplete or not the one the manifest describes; restore another backup`,
    );
  if (fileDigest(file).sha256 !== manifest.file.sha256)
    throw new StateError(
      'STATE_INVALID_INPUT',
      `${file} does not match the sha256 in its manifest: the backup was altered or corrupted; restore another backup`,
    );
  return manifest;
}

type Rows = (sql: string) => Promise<Record<string, unknown>[]>;

async function describe(backend: BackupManifest['backend'], rows: Rows): Promise<BackupManifest> {
  const tables = new Set(
    (
      await rows(
        backend === 'sqlite'
          ? "SELECT name FROM sqlite_master WHERE type = 'table'"
          : "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public'",
      )
    ).map((r) => String(r.name)),
  );
  const schema = (await rows('SELECT version FROM schema_migrations ORDER BY version')).map((r) =>
    Number(r.version),
  );
  const modules = tables.has('module_migrations')
    ? (await rows('SELECT owner, version FROM module_migrations ORDER BY owner, version')).map((r) => ({
        owner: String(r.owner),
        version: Number(r.version),
      }))
    : [];
  // The store's real head is its newest entry (audit_head was frozen when keyed chains came in).
  const [head] = await rows('SELECT * FROM audit ORDER BY seq DESC LIMIT 1');
  const [count] = await rows('SELECT COUNT(*) AS n FROM audit');
  const text = (v: unknown) => (typeof v === 'string' ? v : null);
  return {
    format: 'mira-state-backup/1',
    backend,
    created_at: new Date().toISOString(),
    schema_versions: schema,
    module_migrations: modules,
    audit_head: head
      ? { seq: Number(head.seq), hash: String(head.hash), chain: text(head.chain), key_id: text(head.key_id) }
      : null,
    audit_entries: Number(count?.n ?? 0),
    key_id: head ? text(head.key_id) : null,
  };
}

/** SQLite: VACUUM INTO a new file while the service runs (readers and writers are not blocked). */
export async function backupSqlite(dbPath: string, file: string): Promise<BackupManifest> {
  if (existsSync(file))
    throw new StateError('STATE_INVALID_INPUT', `${file} exists: choose a new backup file name`);
  const { DatabaseSync } = loadSqlite();
  const db = new DatabaseSync(dbPath, { timeout: 5000 });
  try {
    const tmp = `${file}.partial`;
    db.prepare('VACUUM INTO ?').run(tmp);
    chmodSync(tmp, PRIVATE);
    renameSync(tmp, file);
  } finally {
    db.close();
  }
  // The manifest describes the copy itself, not the live file that moved on since.
  const copy = new DatabaseSync(file, { readOnly: true });
  try {
    const manifest = await describe('sqlite', async (sql) =>
      copy.prepare(sql).all() as Record<string, unknown>[]);
    manifest.file = fileDigest(file);
    writePrivate(manifestPath(file), `${JSON.stringify(manifest, null, 2)}\n`);
    return manifest;
  } finally {
    copy.close();
  }
}

/** SQLite: the backup becomes the database file (the service must be stopped first). */
export function restoreSqlite(file: string, dbPath: string, options: RestoreOptions = {}): BackupManifest {
  const manifest = checkBackup(file, options);
  if (existsSync(dbPath))
    throw new StateError(
      'STATE_INVALID_INPUT',
      `${dbPath} exists: stop the service and move it away (keep it until the restore is verified), then restore`,
    );
  // A stale WAL beside the target would be replayed onto the restored file and mix two histories.
  const stale = ['-wal', '-shm'].map((s) => `${dbPath}${s}`).filter((p) => existsSync(p));
  if (stale.length)
    throw new StateError(
      'STATE_INVALID_INPUT',
      `${stale.join(' and ')} exist beside the restore target: move them away with the old database file, then restore`,
    );
  copyFileSync(file, dbPath);
  chmodSync(dbPath, PRIVATE);
  return manifest;
}

/** libpq connection parameters a URL query may carry, and the environment variable of each. */
const PG_QUERY_ENV: Record<string, string> = {
  sslmode: 'PGSSLMODE',
  sslcert: 'PGSSLCERT',
  sslkey: 'PGSSLKEY',
  sslrootcert: 'PGSSLROOTCERT',
  sslcrl: 'PGSSLCRL',
  sslnegotiation: 'PGSSLNEGOTIATION',
  connect_timeout: 'PGCONNECT_TIMEOUT',
  application_name: 'PGAPPNAME',
  options: 'PGOPTIONS',
  target_session_attrs: 'PGTARGETSESSIONATTRS',
  channel_binding: 'PGCHANNELBINDING',
  gssencmode: 'PGGSSENCMODE',
};

/** libpq environment from the URL, so neither the URL nor the password appears in a process list. */
export function pgEnv(url: string): NodeJS.ProcessEnv {
  const u = new URL(url);
  // Query options (sslmode=require, sslrootcert=..., connect_timeout=...) as their libpq variables.
  const options: NodeJS.ProcessEnv = {};
  for (const [name, value] of u.searchParams) {
    const variable = PG_QUERY_ENV[name];
    if (variable) options[variable] = value;
  }
  return {
    ...process.env,
    PGHOST: u.hostname,
    PGPORT: u.port || '5432',
    PGUSER: decodeURIComponent(u.username),
    PGPASSWORD: decodeURIComponent(u.password),
    PGDATABASE: decodeURIComponent(u.pathname.slice(1)),
    ...options,
  };
}

/**
 * PostgreSQL: `pg_dump --format=custom --no-owner --no-privileges` (one consistent snapshot, the
 * service keeps running), then the manifest read from the same database right after.
 */
export async function backupPostgres(url: string, file: string, bindir = ''): Promise<BackupManifest> {
  if (existsSync(file))
    throw new StateError('STATE_INVALID_INPUT', `${file} exists: choose a new backup file name`);
  // The manifest first: the dump then holds at least this head (a later head only adds entries).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Client } = require('pg') as typeof import('pg');
  const client = new Client({ connectionString: url });
  client.on('error', () => undefined);
  await client.connect();
  let manifest: BackupManifest;
  try {
    manifest = await describe('postgres', async (sql) => (await client.query(sql)).rows);
  } finally {
    await client.end();
  }
  writePrivate(file, ''); // pg_dump truncates it and keeps the mode: never readable by others
  execFileSync(`${bindir}pg_dump`, ['--format=custom', '--no-owner', '--no-privileges', '--file', file], {
    env: pgEnv(url),
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  chmodSync(file, PRIVATE);
  manifest.file = fileDigest(file);
  writePrivate(manifestPath(file), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

/** PostgreSQL: into an EMPTY database, in one transaction, stopping at the first error. */
export function restorePostgres(
  file: string,
  url: string,
  bindir = '',
  options: RestoreOptions = {},
): BackupManifest {
  const manifest = checkBackup(file, options);
  execFileSync(
    `${bindir}pg_restore`,
    [
      '--no-owner',
      '--no-privileges',
      '--exit-on-error',
      '--single-transaction',
      '--dbname',
      pgEnv(url).PGDATABASE!,
      file,
    ],
    { env: pgEnv(url), stdio: ['ignore', 'ignore', 'pipe'] },
  );
  return manifest;
}
