// Jest globalSetup (e2e project): a directory for per-worker log captures and recorded secret values.
// Workers start after this runs, so they inherit MIRA_E2E_LOG_DIR.
const { mkdtempSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

module.exports = async function setup() {
  if (!process.env.MIRA_E2E_LOG_DIR)
    process.env.MIRA_E2E_LOG_DIR = mkdtempSync(join(tmpdir(), 'mira-e2e-logs-'));
};
