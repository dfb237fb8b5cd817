// `npm start` builds first when dist/ is missing or older than any source file, so the
// two-command setup (`npm ci && npm start`) works on a fresh clone.
const { statSync, readdirSync, existsSync } = require('node:fs');
const { join } = require('node:path');
const { execFileSync } = require('node:child_process');

const root = join(__dirname, '..');
const entry = join(root, 'dist/apps/mira/src/main.js');

function newest(dir) {
  let max = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) max = Math.max(max, newest(p));
    else if (e.name.endsWith('.ts')) max = Math.max(max, statSync(p).mtimeMs);
  }
  return max;
}

const built = existsSync(entry) ? statSync(entry).mtimeMs : 0;
const sources = Math.max(newest(join(root, 'apps')), newest(join(root, 'libs')));
if (built < sources) {
  process.stderr.write('mira: building (dist/ is missing or stale)...\n');
  execFileSync(process.execPath, [join(root, 'node_modules/@nestjs/cli/bin/nest.js'), 'build', 'mira'], {
    cwd: root,
    stdio: 'inherit',
  });
}
