// Writes docs/configuration.md from the service's registered config sections (libs/config/src/config.docs.ts).
// `node scripts/gen-config-docs.js --check` exits 1 when the committed file is out of date.
const { readFileSync, writeFileSync, existsSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
require('./ts-register');

// The service's sections, registered in their order (apps/mira/src/mira.config.ts).
require('../apps/mira/src/mira.config.ts');
const { generateConfigReference } = require('../libs/config/src/config.docs.ts');
const target = join(root, 'docs/configuration.md');
const text = generateConfigReference();

if (process.argv.includes('--check')) {
  const current = existsSync(target) ? readFileSync(target, 'utf8') : '';
  if (current !== text) {
    process.stderr.write('docs/configuration.md is out of date: run `npm run docs:config`\n');
    process.exit(1);
  }
} else {
  writeFileSync(target, text);
  process.stdout.write(`wrote ${target}\n`);
}
