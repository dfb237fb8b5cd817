// `npm run backup -- <file>` / `npm run restore -- <file>`: the state store's backup and restore
// (libs/state/src/backup/state.backup.ts; the `mira` CLI can call the same module). Which store:
// MIRA_STATE__BACKEND (sqlite | postgres, default sqlite), MIRA_STATE__SQLITE__PATH (default
// data/mira.db) or MIRA_STATE__POSTGRES__URL; PostgreSQL needs pg_dump/pg_restore on PATH.
// See docs/operations.md for the schedule and the restore steps.
const { join } = require('node:path');

const [command, ...args] = process.argv.slice(2);
const flags = args.filter((a) => a.startsWith('--'));
const [file] = args.filter((a) => !a.startsWith('--'));
// --unchecked: restore a backup whose manifest records no checksum (before 0.3); the operator vouches for it.
const unchecked = flags.includes('--unchecked');
const unknown = flags.filter((f) => f !== '--unchecked' || command !== 'restore');
if (!['backup', 'restore'].includes(command) || !file || unknown.length) {
  process.stderr.write(
    (unknown.length ? `unknown option ${unknown[0]}\n` : '') +
      'usage: npm run backup -- <file> | npm run restore -- <file> [--unchecked]\n',
  );
  process.exit(2);
}
const backup = require(join(__dirname, '../dist/libs/state/src/backup/state.backup.js'));
const backend = process.env.MIRA_STATE__BACKEND || 'sqlite';
const sqlitePath = process.env.MIRA_STATE__SQLITE__PATH || 'data/mira.db';
const url = process.env.MIRA_STATE__POSTGRES__URL;

async function main() {
  if (backend === 'postgres' && !url)
    throw new Error('set MIRA_STATE__POSTGRES__URL to the database to ' + command);
  let manifest;
  if (command === 'backup')
    manifest =
      backend === 'postgres'
        ? await backup.backupPostgres(url, file)
        : await backup.backupSqlite(sqlitePath, file);
  else
    manifest =
      backend === 'postgres'
        ? backup.restorePostgres(file, url, '', { unchecked })
        : backup.restoreSqlite(file, sqlitePath, { unchecked });
  const head = manifest.audit_head
    ? `audit head seq ${manifest.audit_head.seq} ${manifest.audit_head.hash}`
    : 'no audit yet';
  process.stdout.write(
    `${command === 'backup' ? 'backed up to' : 'restored from'} ${file} (${manifest.backend}, schema ${manifest.schema_versions.join(',')}, ${head})\n` +
      (command === 'restore' && !manifest.file
        ? 'note: restored --unchecked: the manifest records no checksum, so the file was not checked against it\n'
        : '') +
      (command === 'restore'
        ? 'start the service, then check GET /api/v1/audit/verify and the head above\n'
        : ''),
  );
}
main().catch((err) => {
  process.stderr.write(`mira: ${command} failed: ${String(err && err.message).split('\n')[0]}\n`);
  process.exit(1);
});
