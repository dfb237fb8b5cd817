// Builds the reviewers' inbox page into dist/ beside the server code: compiles page/app.ts for
// the browser (its own tsconfig: DOM types, ES modules) and copies index.html and inbox.css.
// Run by `npm run build` after `nest build`, and by build-if-needed.js.
const { copyFileSync, mkdirSync } = require('node:fs');
const { join } = require('node:path');
const { execFileSync } = require('node:child_process');

const root = join(__dirname, '..');
const page = join(root, 'apps/mira/src/inbox/page');
const out = join(root, 'dist/apps/mira/src/inbox/page');

function buildInbox({ quiet = false } = {}) {
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', join(page, 'tsconfig.json')], {
    cwd: root,
    stdio: quiet ? 'pipe' : 'inherit',
  });
  mkdirSync(out, { recursive: true });
  for (const file of ['index.html', 'inbox.css']) copyFileSync(join(page, file), join(out, file));
  return out;
}

module.exports = { buildInbox };
if (require.main === module) buildInbox();
