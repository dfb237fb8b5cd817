import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { ConfigStore } from '@mira/config';
import { canonicalJson } from '@mira/state';
import { until } from './support/poll';
import { startPostgres, type PostgresServer } from './support/postgres-server';
import { request, startTestApp, type TestApp } from './support/test-app';

// Issue 25 items 1 and 2 over real HTTP, on the embedded SQLite file and on a real PostgreSQL:
// review set by the operator's policy, approvals bound to the data they approved.

const KEYS = {
  alice: 'policy-alice-key-0123456789',
  bob: 'policy-bob-key-0123456789ab',
  carol: 'policy-carol-key-0123456789',
  dave: 'policy-dave-key-0123456789a',
  audrey: 'policy-audrey-key-012345678',
};
const apiKeys = [
  { name: 'alice', key: KEYS.alice, roles: ['submitter'] },
  { name: 'bob', key: KEYS.bob, roles: ['approver'] },
  { name: 'carol', key: KEYS.carol, roles: ['approver'] },
  { name: 'dave', key: KEYS.dave, roles: ['approver'] },
  { name: 'audrey', key: KEYS.audrey, roles: ['auditor'] },
];
const as = (who: keyof typeof KEYS) => ({ authorization: `Bearer ${KEYS[who]}` });
const sha = (v: unknown) => createHash('sha256').update(canonicalJson(v)).digest('hex');
const data = { name: 'Apollo', description: 'x', goals: ['Design', 'Build'] };

const backends: [string, (dir: string, pg: () => PostgresServer) => Promise<Record<string, unknown>>][] = [
  ['sqlite', async (dir) => ({ sqlite: { path: join(dir, 'mira.db') } })],
  [
    'postgres',
    async (_dir, pg) => ({
      backend: 'postgres',
      postgres: { url: await pg().createDatabase('gov_policy', 'pw') },
    }),
  ],
];

describe.each(backends)('governance policy and data binding over HTTP (%s)', (backend, state) => {
  let t: TestApp;
  let dir: string;
  let pg: PostgresServer | null = null;
  let file: string;
  let settings: Record<string, unknown>;
  const governance = {
    approvals_required: { medium: 2, high: 2 },
    policies: { project_initialization: { minimum_risk: 'medium', approvals_required: { high: 3 } } },
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mira-gov-policy-'));
    if (backend === 'postgres') pg = await startPostgres();
    file = join(dir, 'mira.json');
    settings = { api: { keys: apiKeys }, state: await state(dir, () => pg!), governance: { ...governance } };
    writeFileSync(file, JSON.stringify(settings));
    t = await startTestApp({
      file,
      overrides: { config: { hot_reload: true, debounce_ms: 20, stable_ms: 50, poll_interval: 1 } },
    });
  }, 120_000);
  afterAll(async () => {
    await t?.close();
    await pg?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const submit = (body: Record<string, unknown>) =>
    request(`${t.url}/api/v1/workflows`, { body, headers: as('alice') });
  const approve = (id: string, who: keyof typeof KEYS, body: Record<string, unknown> = {}) =>
    request(`${t.url}/api/v1/workflows/${id}/approve`, { body, headers: as(who) });

  it('holds unassessed work by default (risk high, reason naming the policy, policy on the answer)', async () => {
    const res = await submit({ workflow_type: 'project_initialization', data });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({
      status: 'pending_approval',
      risk_level: 'high',
      reasons: ['No governance assessment (policy project_initialization)'],
      approvals_required: 3,
      requested_by: 'key:alice',
      requested_by_name: 'alice',
      data_hash: sha(data),
      policy: {
        name: 'project_initialization',
        when_unassessed: 'hold',
        minimum_risk: 'medium',
        approvals_required: { low: 1, medium: 2, high: 3 },
      },
    });
  });

  it('minimum_risk raises a low assessment', async () => {
    const res = await submit({
      workflow_type: 'project_initialization',
      data,
      governance_data: { financial_impact: 0 },
    });
    expect(res.body).toMatchObject({ risk_level: 'medium', status: 'completed' });
    expect(res.body.reasons).toEqual([
      'Risk raised from low to medium (policy project_initialization, minimum_risk)',
    ]);
  });

  it('a data_patch dismisses earlier votes, counts once, and is audited with both hashes', async () => {
    const held = await submit({
      workflow_type: 'project_initialization',
      data,
      governance_data: { financial_impact: 50000 },
    });
    const id = held.body.workflow_id as string;
    expect(held.body).toMatchObject({ risk_level: 'high', approvals_required: 3 });
    expect((await approve(id, 'bob')).body).toMatchObject({ approvals: 1 });
    const patched = await approve(id, 'carol', { data_patch: { goals: ['Design'] } });
    expect(patched.status).toBe(200);
    const after = sha({ ...data, goals: ['Design'] });
    expect(patched.body).toMatchObject({ status: 'pending_approval', approvals: 1, data_hash: after });
    expect(patched.body.decisions).toMatchObject([
      { actor: 'key:bob', actor_name: 'bob', dismissed: true, data_hash: sha(data) },
      { actor: 'key:carol', actor_name: 'carol', data_patch: { goals: ['Design'] }, data_hash: after },
    ]);
    const audit = await request(`${t.url}/api/v1/audit?workflow_id=${id}`, { headers: as('audrey') });
    expect(audit.body.items.at(-1)).toMatchObject({
      actor: 'key:carol',
      actor_name: 'carol',
      details: { data_patch: { goals: ['Design'] }, data_hash_before: sha(data), data_hash_after: after },
    });
    // The dismissed approver may approve the new data; quorum needs three on it.
    expect((await approve(id, 'bob')).body).toMatchObject({ approvals: 2, status: 'pending_approval' });
    expect((await approve(id, 'dave')).body).toMatchObject({ approvals: 3, status: 'approved' });
  });

  it('a patch touching assessed keys is a 403 naming them', async () => {
    const held = await submit({
      workflow_type: 'project_initialization',
      data: { ...data, compliance_level: 'low' },
      governance_data: { financial_impact: 50000 },
    });
    const res = await approve(held.body.workflow_id, 'bob', {
      data_patch: { compliance_level: 'high', financial_impact: 0 },
    });
    expect(res.status).toBe(403);
    expect(JSON.stringify(res.body)).toContain('compliance_level, financial_impact');
  });

  it('a patched workflow judged riskier now needs the higher quorum', async () => {
    // Medium risk (compliance high needs review), quorum 2; the threshold is tightened live.
    const held = await submit({
      workflow_type: 'project_initialization',
      data,
      governance_data: { financial_impact: 5000, compliance_level: 'high' },
    });
    const id = held.body.workflow_id as string;
    expect(held.body).toMatchObject({ risk_level: 'medium', approvals_required: 2 });
    await approve(id, 'bob');
    // The operator tightens the threshold in the config file (tightening applies live).
    writeFileSync(
      file,
      JSON.stringify({ ...settings, governance: { ...governance, financial_threshold: 1000 } }),
    );
    await until(
      () => t.app.get(ConfigStore).get('governance').financial_threshold === 1000,
      'the tightened threshold',
    );
    const patched = await approve(id, 'carol', { data_patch: { goals: ['Design'] } });
    expect(patched.body).toMatchObject({
      status: 'pending_approval',
      risk_level: 'high',
      approvals_required: 3,
      approvals: 1,
    });
    expect(patched.body.reasons).toContain('Financial impact $5000 exceeds threshold $1000');
  });
});
