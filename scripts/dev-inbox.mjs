// `npm run dev:inbox`: the reviewer inbox on a laptop in one command. Starts the development
// OpenID provider (scripts/dev-idp.mjs) and Mira (built first when needed) as child processes on
// a demo config (quorum 2, a throwaway SQLite store, dev secrets, the built-in development audit
// key), seeds a few workflows waiting for approval, prints the URL and the demo users. Ctrl-C
// stops both children by PID. Never for production.
// Env: MIRA_DEV_PORT (Mira, default 3000), MIRA_DEV_IDP_PORT (the provider, default 3001).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  DEV_CLIENT_ID,
  DEV_CLIENT_SECRET,
  DEV_ROLES_MAP,
  DEV_USERS,
  devPorts,
  refuseProduction,
} from './dev-idp.mjs';

refuseProduction('npm run dev:inbox');

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
// The demo submitter's API key: the seeded workflows are requested by "sam", so alice and bob may approve.
const SUBMITTER_KEY = 'dev-inbox-submitter-key-not-for-production';
const SEEDS = [
  { name: 'Apollo cutover', budget: 1250000, impact: 250000 },
  { name: 'Borealis data-centre migration', budget: 480000, impact: 120000 },
  { name: 'Cassini vendor onboarding', budget: 90000, impact: 45000 },
];

const ports = devPorts();
const idpUrl = `http://127.0.0.1:${ports.idp}`;
const miraUrl = `http://127.0.0.1:${ports.mira}`;
const dir = mkdtempSync(join(tmpdir(), 'mira-dev-inbox-'));
const children = [];
let stopping = false;

function say(line) {
  process.stdout.write(`${line}\n`);
}

/** Stops every child by its PID (SIGTERM, SIGKILL after 10 s), removes the temp dir, exits. */
async function stopAll(code) {
  if (stopping) return;
  stopping = true;
  await Promise.all(
    children.map(
      ({ proc }) =>
        new Promise((resolve) => {
          if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
          const t = setTimeout(() => signal(proc.pid, 'SIGKILL'), 10000);
          proc.once('exit', () => (clearTimeout(t), resolve()));
          signal(proc.pid, 'SIGTERM');
        }),
    ),
  );
  rmSync(dir, { recursive: true, force: true });
  process.exit(code);
}

function signal(pid, sig) {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

function start(name, args, env, stdio) {
  const proc = spawn(process.execPath, args, { cwd: root, env: { ...process.env, ...env }, stdio });
  const child = { name, proc, stderr: '' };
  proc.stderr?.on('data', (d) => (child.stderr = (child.stderr + d).slice(-4000)));
  proc.once('exit', (code, sig) => {
    if (stopping) return;
    process.stderr.write(`dev:inbox: ${name} exited (${code ?? sig}); stopping.\n${child.stderr}`);
    void stopAll(1);
  });
  children.push(child);
  return child;
}

async function waitFor(what, probe, timeoutMs = 120000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (stopping) return new Promise(() => undefined);
    try {
      if (await probe()) return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) {
      process.stderr.write(`dev:inbox: ${what} did not come up within ${timeoutMs / 1000} s.\n`);
      return stopAll(1);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

function demoConfig() {
  // JSON is YAML: no YAML writer needed.
  return {
    server: { host: '127.0.0.1', port: ports.mira },
    logging: { level: 'warn', json: false },
    state: { backend: 'sqlite', sqlite: { path: join(dir, 'mira.db') } },
    api: { keys: [{ name: 'sam', key: SUBMITTER_KEY, roles: ['submitter'] }] },
    auth: {
      oidc: {
        issuer: idpUrl,
        client_id: DEV_CLIENT_ID,
        client_secret: DEV_CLIENT_SECRET,
        redirect_uri: `${miraUrl}/inbox/callback`,
        scopes: ['openid', 'profile', 'groups'],
        roles_claim: 'groups',
        roles_map: DEV_ROLES_MAP,
      },
      session: { secret: 'dev-inbox-session-secret-not-for-production-0123456789' },
    },
    // governance.audit.key stays unset: the built-in development key (Mira warns about it).
    governance: { approvals_required: { low: 2, medium: 2, high: 2 } },
    shutdown: { drain_delay_ms: 0, timeout_ms: 10000 },
  };
}

async function seed() {
  const ids = [];
  for (const s of SEEDS) {
    const res = await fetch(`${miraUrl}/api/v1/workflows`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': SUBMITTER_KEY },
      body: JSON.stringify({
        workflow_type: 'project_initialization',
        data: {
          name: s.name,
          description: 'Seeded by npm run dev:inbox',
          goals: ['Plan', 'Build', 'Launch'],
          duration_weeks: 8,
          budget: s.budget,
        },
        // Above governance.financial_threshold and high compliance: held for two approvals.
        governance_data: { financial_impact: s.impact, compliance_level: 'high' },
      }),
    });
    if (res.status !== 202)
      throw new Error(`seeding "${s.name}" answered ${res.status}: ${await res.text()}`);
    ids.push((await res.json()).workflow_id);
  }
  // Printed once every seed waits for approval, so the inbox shows them on first open.
  for (const id of ids)
    await waitFor(`workflow ${id}`, async () => {
      const res = await fetch(`${miraUrl}/api/v1/workflows/${id}`, {
        headers: { 'x-api-key': SUBMITTER_KEY },
      });
      return res.ok && (await res.json()).status === 'pending_approval';
    });
}

async function main() {
  process.once('SIGINT', () => void stopAll(0));
  process.once('SIGTERM', () => void stopAll(0));
  const portEnv = { MIRA_DEV_IDP_PORT: String(ports.idp), MIRA_DEV_PORT: String(ports.mira) };
  start('dev:idp', [join(root, 'scripts/dev-idp.mjs')], portEnv, ['ignore', 'ignore', 'pipe']);
  await waitFor(
    'the dev OpenID provider',
    async () => (await fetch(`${idpUrl}/.well-known/openid-configuration`)).ok,
  );

  const { ensureBuilt } = require('./build-if-needed.js');
  const entry = ensureBuilt();
  const configFile = join(dir, 'mira.yaml');
  writeFileSync(configFile, JSON.stringify(demoConfig(), null, 2));
  start('mira', [entry], { MIRA_CONFIG_FILE: configFile, PORT: String(ports.mira) }, [
    'ignore',
    'inherit',
    'pipe',
  ]);
  await waitFor('Mira', async () => (await fetch(`${miraUrl}/healthz/ready`)).ok);
  await seed();

  say('');
  say(
    `Reviewer inbox ready: open ${miraUrl}/inbox and sign in (${SEEDS.length} workflows wait for 2 approvals).`,
  );
  say('demo users (login / password / Mira role):');
  for (const [login, u] of Object.entries(DEV_USERS))
    say(`  ${login.padEnd(6)} ${u.password.padEnd(16)} ${u.role}`);
  say('Ctrl-C stops Mira and the provider.');
}

main().catch((err) => {
  process.stderr.write(`dev:inbox failed: ${err.message}\n`);
  void stopAll(1);
});
