import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  builtEntry,
  eventually,
  startService,
  tempDir,
  type ServiceProcess,
} from './support/service-process';

// Durable workflows across real service processes: the BUILT service as child processes, real
// signals, real HTTP, a real SQLite file. Bounds are generous for a loaded 2-core machine; what
// is asserted is statuses, counts and the audit trail, never timings.

const secret = (name: string) => `${name}-${randomBytes(12).toString('hex')}`;
const KEYS = {
  requester: { name: 'requester', key: secret('req'), roles: ['submitter'] },
  approver1: { name: 'approver-1', key: secret('ap1'), roles: ['approver'] },
  approver2: { name: 'approver-2', key: secret('ap2'), roles: ['approver'] },
  approver3: { name: 'approver-3', key: secret('ap3'), roles: ['approver'] },
  auditor: { name: 'auditor', key: secret('aud'), roles: ['auditor'] },
} as const;
type Who = keyof typeof KEYS;

/** Config shared by every process: named keys with roles, no rate limit (one client IP), quick drain. */
const baseConfig = {
  api: { keys: Object.values(KEYS), rate_limit: { enabled: false } },
  shutdown: { drain_delay_ms: 0 },
};

/** Above governance.financial_threshold (10000): risk "high", held for approval. */
const HIGH_RISK = { financial_impact: 250000, compliance_level: 'low', explainability_score: 0.9 };
const PROJECT = {
  name: 'Durable',
  description: 'survives restarts',
  goals: ['design', 'build'],
  duration_weeks: 4,
};

interface Answer {
  status: number;
  headers: Headers;
  body: any;
}

/** One API call over real HTTP as `who` (an API key the test configured). */
async function api(base: string, path: string, who: Who, body?: unknown): Promise<Answer> {
  const res = await fetch(`${base}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: {
      'x-api-key': KEYS[who].key,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(60_000),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: res.status, headers: res.headers, body: parsed };
}

const started: ServiceProcess[] = [];
async function start(...args: Parameters<typeof startService>): Promise<ServiceProcess> {
  const s = await startService(...args);
  started.push(s);
  // Ready = config valid, agents registered, store and broker reachable.
  await eventually(async () => (await fetch(`${s.url}/healthz/ready`)).status === 200, 30_000, 'readiness');
  return s;
}

async function auditOf(base: string, workflowId: string): Promise<any[]> {
  const res = await api(
    base,
    `/api/v1/audit?workflow_id=${encodeURIComponent(workflowId)}&limit=100`,
    'auditor',
  );
  expect(res.status).toBe(200);
  return res.body.items;
}

async function waitForStatus(base: string, id: string, status: string, timeoutMs = 60_000): Promise<any> {
  return eventually(
    async () => {
      const res = await api(base, `/api/v1/workflows/${id}`, 'auditor');
      return res.status === 200 && res.body.status === status ? res.body : undefined;
    },
    timeoutMs,
    `workflow ${id} ${status}`,
  );
}

/** No API key value anywhere in what the processes printed. */
function expectNoKeysIn(text: string): void {
  for (const k of Object.values(KEYS)) expect(text).not.toContain(k.key);
}

describe('durable workflows across service processes (built service, real signals)', () => {
  beforeAll(() => {
    builtEntry();
  }, 180_000);

  afterAll(async () => {
    await Promise.all(started.map((s) => s.kill()));
  });

  it('a pending workflow survives a restart (SQLite file): SIGTERM, a new process approves it, it completes', async () => {
    const dir = tempDir();
    const dbPath = join(dir, 'mira.db');
    const config = { ...baseConfig, state: { backend: 'sqlite', sqlite: { path: dbPath } } };

    const first = await start({ config });
    const created = await api(first.url, '/api/v1/workflows', 'requester', {
      workflow_type: 'project_initialization',
      data: PROJECT,
      governance_data: HIGH_RISK,
    });
    expect(created.status).toBe(202);
    expect(created.body).toMatchObject({ status: 'pending_approval', risk_level: 'high', steps: [] });
    const id = created.body.workflow_id as string;
    expect(created.headers.get('location')).toBe(`/api/v1/workflows/${id}`);

    const stopped = await first.signal('SIGTERM').exit;
    expect(stopped.code).toBe(0);

    const second = await start({ config });
    const before = await api(second.url, `/api/v1/workflows/${id}`, 'approver1');
    expect(before.status).toBe(200);
    expect(before.body).toMatchObject({ status: 'pending_approval', requested_by: 'requester', steps: [] });

    const approved = await api(second.url, `/api/v1/workflows/${id}/approve`, 'approver1', {
      comment: 'fine after the restart',
    });
    expect(approved.status).toBe(200);
    expect(['approved', 'running', 'completed']).toContain(approved.body.status);

    const done = await waitForStatus(second.url, id, 'completed');
    expect(done.steps.map((s: { step: string; status: string }) => [s.step, s.status])).toEqual([
      ['generate_plan', 'success'],
      ['assess_risks', 'success'],
      ['generate_report', 'success'],
    ]);
    expect(done.decisions).toMatchObject([{ actor: 'approver-1', decision: 'approve' }]);

    const trail = await auditOf(second.url, id);
    expect(trail.map((e) => e.action)).toEqual(['created', 'approve', 'started', 'completed']);
    expect(trail.map((e) => e.actor)).toEqual(['requester', 'approver-1', 'system', 'system']);
    const verify = await api(second.url, '/api/v1/audit/verify', 'auditor');
    expect(verify.status).toBe(200);
    expect(verify.body).toMatchObject({ ok: true });
    expect(verify.body.entries).toBeGreaterThanOrEqual(4);

    // Identities, never credentials, in the store and in the logs of both processes.
    for (const f of readdirSync(dir).filter((n) => n.startsWith('mira.db')))
      expectNoKeysIn(readFileSync(join(dir, f)).toString('latin1'));
    expectNoKeysIn(
      first.child.stdout() + first.child.stderr() + second.child.stdout() + second.child.stderr(),
    );
  }, 180_000);
});
