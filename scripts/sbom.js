#!/usr/bin/env node
// CycloneDX SBOM of the production dependencies (`npm sbom --sbom-format cyclonedx --omit dev`),
// written as a build artefact: artifacts/sbom/mira.cdx.json (gitignored). .ci/run runs it after
// `npm ci`; the container image generates its own from its production install (Dockerfile).
//   node scripts/sbom.js [--dir <project dir>] [--out <file>]
'use strict';
const { spawnSync } = require('node:child_process');
const { lstatSync, mkdirSync, writeFileSync } = require('node:fs');
const { dirname, join, resolve } = require('node:path');

function arg(name, fallback) {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

/** Checks the document is a CycloneDX BOM; answers its component count. */
function checkBom(text) {
  const bom = JSON.parse(text);
  if (bom.bomFormat !== 'CycloneDX') throw new Error(`not a CycloneDX document (bomFormat ${bom.bomFormat})`);
  return (bom.components || []).length;
}

function main() {
  const dir = resolve(arg('--dir', join(__dirname, '..')));
  const out = resolve(arg('--out', join(dir, 'artifacts/sbom/mira.cdx.json')));
  const r = spawnSync('npm', ['sbom', '--sbom-format', 'cyclonedx', '--omit', 'dev'], {
    cwd: dir,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.status !== 0) {
    let why = (r.stderr || r.error?.message || '').trim().split('\n').slice(-3).join(' | ');
    try {
      // A git worktree sharing another checkout's install: npm reads that tree as incomplete.
      if (lstatSync(join(dir, 'node_modules')).isSymbolicLink())
        why += ' (node_modules is a symlink: run it in a checkout with its own `npm ci`)';
    } catch {
      why += ' (no node_modules: run `npm ci` first)';
    }
    console.error(`sbom: npm sbom failed: ${why}`);
    return 1;
  }
  const components = checkBom(r.stdout);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, r.stdout);
  console.log(`sbom: ${components} components -> ${out}`);
  return 0;
}

if (require.main === module) process.exitCode = main();
module.exports = { checkBom };
