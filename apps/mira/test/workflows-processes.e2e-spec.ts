import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { useCluster, waitReady } from './support/cluster';
import { keyedApi, keyedServiceConfig, secretKey as secret } from './support/keyed-api';
import {
  builtEntry,
  eventually,
  startService,
  tempDir,
  type ServiceProcess,
} from './support/service-process';

// Durable workflows across real service processes: the BUILT service as child processes, real
// signals, real HTTP, a real SQLite file, a real PostgreSQL and a real redis-server. Bounds are
// generous for a loaded 2-core machine; what is asserted is statuses, counts and the audit
// trail, never timings.

const KEYS = {
  requester: { name: 'requester', key: secret('req'), roles: ['submitter'] },
  approver1: { name: 'approver-1', key: secret('ap1'), roles: ['approver'] },
  approver2: { name: 'approver-2', key: secret('ap2'), roles: ['approver'] },
  approver3: { name: 'approver-3', key: secret('ap3'), roles: ['approver'] },
  auditor: { name: 'auditor', key: secret('aud'), roles: ['auditor'] },
} as const;

/** Config shared by every process: named keys with roles, no rate limit (one client IP), quick drain. */
const baseConfig = keyedServiceConfig(KEYS);

/** Above governance.financial_threshold (10000): risk "high", held for approval. */
const HIGH_RISK = { financial_impact: 250000, compliance_level: 'low', explainability_score: 0.9 };
const PROJECT = {
  name: 'Durable',
  description: 'survives restarts',
  goals: ['design', 'build'],
  duration_weeks: 4,
};

/** One API call over real HTTP as `who` (an API key the test configured). */
const api = keyedApi(KEYS, { timeoutMs: 60_000 });

const started: ServiceProcess[] = [];
async function start(...args: Parameters<typeof startService>): Promise<ServiceProcess> {
  const s = await startService(...args);
  started.push(s);
  await waitReady(s);
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

/** Sum of a counter (or histogram _count) over the samples whose labels include every `labels` pair. */
async function counter(base: string, name: string, labels: Record<string, string>): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    const m = /^([a-z_]+)\{([^}]*)\} (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    if (Object.entries(labels).every(([k, v]) => m[2].includes(`${k}="${v}"`))) sum += Number(m[3]);
  }
  return sum;
}

const count = (trail: { action: string }[], action: string) =>
  trail.filter((e) => e.action === action).length;

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
    expect(before.body).toMatchObject({
      status: 'pending_approval',
      requested_by: 'key:requester',
      requested_by_name: 'requester',
      steps: [],
    });

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
    expect(done.decisions).toMatchObject([
      { actor: 'key:approver-1', actor_name: 'approver-1', decision: 'approve' },
    ]);

    const trail = await auditOf(second.url, id);
    expect(trail.map((e) => e.action)).toEqual(['created', 'approve', 'started', 'completed']);
    expect(trail.map((e) => e.actor)).toEqual(['key:requester', 'key:approver-1', 'system', 'system']);
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

  describe('two replicas sharing PostgreSQL and Redis', () => {
    const cluster = useCluster({ build: false, setupTimeoutMs: 120_000 });

    /** A replica's config: its own database and stream prefix per pair, so the tests do not share state. */
    const replicaConfig = async (db: string, governance: Record<string, unknown>) => ({
      ...baseConfig,
      ...(await cluster.shared(db, { streamPrefix: `${db}:` })),
      governance,
    });

    it('two approvers race for the last vote on two replicas: one 200, one 409 naming the status, the steps run once', async () => {
      const config = await replicaConfig('race', { approvals_required: { high: 2 } });
      const [a, b] = await Promise.all([cluster.start({ config }), cluster.start({ config })]);

      const rounds = 5;
      for (let round = 0; round < rounds; round++) {
        const created = await api(a.url, '/api/v1/workflows', 'requester', {
          workflow_type: 'project_initialization',
          data: { ...PROJECT, name: `race-${round}` },
          governance_data: HIGH_RISK,
        });
        expect(created.status).toBe(202);
        expect(created.body).toMatchObject({ status: 'pending_approval', approvals_required: 2 });
        const id = created.body.workflow_id as string;

        // The first vote (on B: the record is shared) leaves it pending.
        const first = await api(b.url, `/api/v1/workflows/${id}/approve`, 'approver1', { comment: 'one' });
        expect(first.status).toBe(200);
        expect(first.body).toMatchObject({ status: 'pending_approval', approvals: 1 });

        // The last vote, twice at once, to the two replicas.
        const race = await Promise.all([
          api(a.url, `/api/v1/workflows/${id}/approve`, 'approver2', { comment: 'two on A' }),
          api(b.url, `/api/v1/workflows/${id}/approve`, 'approver3', { comment: 'two on B' }),
        ]);
        expect(race.map((r) => r.status).sort()).toEqual([200, 409]);
        const lost = race.find((r) => r.status === 409)!;
        expect(lost.body.code).toBe('WORKFLOW_CONFLICT');
        expect(['approved', 'running', 'completed']).toContain(lost.body.status);
        expect(lost.body.message).toContain(`is ${lost.body.status}`);
        const winner = race.findIndex((r) => r.status === 200) === 0 ? 'key:approver-2' : 'key:approver-3';

        const done = await waitForStatus(a.url, id, 'completed');
        expect(done.steps.map((s: { step: string }) => s.step)).toEqual([
          'generate_plan',
          'assess_risks',
          'generate_report',
        ]);
        expect(done.decisions.map((d: { actor: string }) => d.actor)).toEqual(['key:approver-1', winner]);
        expect((await api(b.url, `/api/v1/workflows/${id}`, 'auditor')).body.status).toBe('completed');

        const trail = await auditOf(b.url, id);
        expect(trail.map((e) => e.action)).toEqual(['created', 'approve', 'approve', 'started', 'completed']);
        expect(trail.map((e) => e.actor).slice(0, 3)).toEqual(['key:requester', 'key:approver-1', winner]);
      }

      // Each step ran once per workflow, summed over both replicas (the record could be
      // overwritten by a second run; the agents' own counters could not).
      for (const type of ['generate_plan', 'assess_risks', 'generate_report']) {
        const ran =
          (await counter(a.url, 'mira_agent_processing_duration_seconds_count', { type })) +
          (await counter(b.url, 'mira_agent_processing_duration_seconds_count', { type }));
        expect(ran).toBe(rounds);
      }
      const verify = await api(a.url, '/api/v1/audit/verify', 'auditor');
      expect(verify.body).toEqual({ ok: true, entries: rounds * 5 });
      expectNoKeysIn(a.child.stdout() + a.child.stderr() + b.child.stdout() + b.child.stderr());
    }, 240_000);

    it('a replica killed (SIGKILL) while running approved steps: the other one recovers the run and completes it', async () => {
      // Short lease and sweep so the takeover comes quickly after the kill; 2 s rather than 1 so
      // a loaded machine that delays one renewal (every lease/3) does not hand a live run over.
      const config = await replicaConfig('takeover', { lease_seconds: 2, sweep_interval_seconds: 0.2 });
      const spec = { slowAgent: true, slowWorkflow: { steps: 2 } };
      const [a, b] = await Promise.all([cluster.start({ config, spec }), cluster.start({ config, spec })]);

      const tag = `slow-${randomBytes(4).toString('hex')}`;
      const created = await api(a.url, '/api/v1/workflows', 'requester', {
        workflow_type: 'test_slow_workflow',
        data: { ms: 3000, tag },
        governance_data: HIGH_RISK,
      });
      expect(created.status).toBe(202);
      const id = created.body.workflow_id as string;
      const approved = await api(a.url, `/api/v1/workflows/${id}/approve`, 'approver1', { comment: 'go' });
      expect(approved.status).toBe(200);

      // Either replica may take the approval from the stream: the one whose slow step started runs it.
      const startedLine = new RegExp(`^slow agent started ${tag}`);
      const runner = await eventually(
        async () => [a, b].find((s) => s.logs().some((l) => startedLine.test(l.msg))),
        60_000,
        'a replica to start the first step',
      );
      const other = runner === a ? b : a;
      const killed = await runner.signal('SIGKILL').exit;
      expect(killed.code).toBeNull();
      expect(runner.logs().some((l) => l.msg.startsWith(`slow agent finished ${tag}`))).toBe(false);
      const mid = await api(other.url, `/api/v1/workflows/${id}`, 'auditor');
      expect(mid.body.status).toBe('running');

      const done = await waitForStatus(other.url, id, 'completed', 90_000);
      expect(done.steps).toMatchObject([
        { step: 'test.slow', status: 'success', result: { tag } },
        { step: 'test.slow', status: 'success', result: { tag } },
      ]);
      // The survivor ran the steps itself.
      expect(other.logs().filter((l) => l.msg.startsWith(`slow agent finished ${tag}`))).toHaveLength(2);

      const trail = await auditOf(other.url, id);
      expect(trail.map((e) => e.action)).toEqual(['created', 'approve', 'started', 'recovered', 'completed']);
      const recovered = trail.find((e) => e.action === 'recovered');
      expect(recovered).toMatchObject({ actor: 'system', from_status: 'running', to_status: 'running' });
      expect(recovered.comment).toMatch(/lease of .+ ran out/);
      expect(count(trail, 'completed')).toBe(1);
      expect((await api(other.url, '/api/v1/audit/verify', 'auditor')).body).toMatchObject({ ok: true });
    }, 240_000);
  });
});
