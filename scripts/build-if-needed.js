// `npm start` builds first when dist/ is missing or older than any source file, so the
// two-command setup (`npm ci && npm start`) works on a fresh clone. Tests that start the
// built service call ensureBuilt() too; a lock directory keeps parallel callers from
// building over each other.
const { statSync, readdirSync, existsSync, mkdirSync, rmdirSync } = require('node:fs');
const { join } = require('node:path');
const { execFileSync } = require('node:child_process');

const root = join(__dirname, '..');
const entry = join(root, 'dist/apps/mira/src/main.js');
const lock = join(root, 'node_modules/.cache/mira-build.lock');

function newest(dir) {
  let max = 0;
  if (!existsSync(dir)) return max;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) max = Math.max(max, newest(p));
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.spec.ts')) max = Math.max(max, statSync(p).mtimeMs);
  }
  return max;
}

function isStale() {
  const built = existsSync(entry) ? statSync(entry).mtimeMs : 0;
  return (
    built <
    Math.max(
      newest(join(root, 'apps/mira/src')),
      newest(join(root, 'apps/mira-cli/src')),
      newest(join(root, 'libs')),
    )
  );
}

function sleep(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function ensureBuilt({ quiet = false } = {}) {
  if (!isStale()) return entry;
  mkdirSync(join(root, 'node_modules/.cache'), { recursive: true });
  const deadline = Date.now() + 180_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // Another process is building; a lock older than 3 minutes is abandoned.
      try {
        if (Date.now() - statSync(lock).mtimeMs > 180_000) rmdirSync(lock);
      } catch {
        // the lock vanished between the two calls: retry
      }
      if (Date.now() > deadline) throw new Error('timed out waiting for another build to finish');
      sleep(200);
    }
  }
  try {
    if (isStale()) {
      if (!quiet) process.stderr.write('mira: building (dist/ is missing or stale)...\n');
      execFileSync(process.execPath, [join(root, 'node_modules/@nestjs/cli/bin/nest.js'), 'build', 'mira'], {
        cwd: root,
        stdio: quiet ? 'pipe' : 'inherit',
      });
      require('./build-inbox').buildInbox({ quiet });
    }
  } finally {
    rmdirSync(lock);
  }
  return entry;
}

module.exports = { ensureBuilt, entry };

if (require.main === module) ensureBuilt();
