import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { request, startTestApp, type TestApp } from './support/test-app';
import { until } from './support/poll';

/** Identities as an operator configures them: a name, a key and roles. */
const KEYS = {
  alice: 'alice-key-0123456789abcdef',
  bob: 'bob-key-0123456789abcdef',
  carol: 'carol-key-0123456789abcdef',
  audrey: 'audrey-key-0123456789abcdef',
  root: 'root-key-0123456789abcdef',
};
const apiKeys = [
  { name: 'alice', key: KEYS.alice, roles: ['submitter'] },
  { name: 'bob', key: KEYS.bob, roles: ['approver', 'submitter'] },
  { name: 'carol', key: KEYS.carol, roles: ['approver'] },
  { name: 'audrey', key: KEYS.audrey, roles: ['auditor'] },
  { name: 'root', key: KEYS.root, roles: ['admin'] },
];
const as = (who: keyof typeof KEYS) => ({ authorization: `Bearer ${KEYS[who]}` });

const risky = (extra: Record<string, unknown> = {}) => ({
  workflow_type: 'project_initialization',
  data: { name: 'Big spend', description: 'urgent', goals: ['Design', 'Build', 'Launch'] },
  governance_data: { financial_impact: 250000, compliance_level: 'high' },
  ...extra,
});

describe('Durable workflows and human approval over HTTP', () => {
  let t: TestApp;
  let dir: string;
  let dbPath: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mira-approvals-'));
    dbPath = join(dir, 'mira.db');
    t = await startTestApp({
      overrides: {
        api: { keys: apiKeys },
        state: { sqlite: { path: dbPath } },
        governance: {
          approvals_required: { high: 2 },
          approval_ttl_seconds: 3600,
          sweep_interval_seconds: 0.2,
        },
      },
    });
  });
  afterAll(async () => {
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const submit = (body: unknown, who: keyof typeof KEYS = 'alice', headers: Record<string, string> = {}) =>
    request(`${t.url}/api/v1/workflows`, { body, headers: { ...as(who), ...headers } });
  const decide = (
    id: string,
    what: 'approve' | 'reject' | 'cancel',
    who: keyof typeof KEYS,
    body: unknown = {},
  ) => request(`${t.url}/api/v1/workflows/${id}/${what}`, { body, headers: as(who) });
  const get = (id: string, who: keyof typeof KEYS = 'alice') =>
    request(`${t.url}/api/v1/workflows/${id}`, { headers: as(who) });

  it('holds risky work (202 + Location), needs two distinct approvers, then runs it on the edited input', async () => {
    const created = await submit(risky());
    expect(created.status).toBe(202);
    const id = created.body.workflow_id as string;
    expect(created.headers.get('location')).toBe(`/api/v1/workflows/${id}`);
    expect(created.body).toMatchObject({
      status: 'pending_approval',
      requested_by: 'key:alice',
      requested_by_name: 'alice',
      risk_level: 'high',
      approvals_required: 2,
      approvals: 0,
      steps: [],
    });
    expect(created.body.reasons).toContain('Financial impact $250000 exceeds threshold $10000');
    expect(JSON.stringify(created.body)).not.toContain(KEYS.alice);

    const first = await decide(id, 'approve', 'bob', {
      comment: 'fine by me',
      data_patch: { goals: ['Design'] },
    });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({
      status: 'pending_approval',
      approvals: 1,
      data: { goals: ['Design'] },
    });

    const twice = await decide(id, 'approve', 'bob');
    expect(twice.status).toBe(403);
    expect(twice.body.message).toContain('one approver counts once');

    const last = await decide(id, 'approve', 'carol');
    expect(last.status).toBe(200);
    expect(last.body).toMatchObject({ status: 'approved', approvals: 2 });

    const done = await until(async () => {
      const r = await get(id);
      return r.body.status === 'completed' ? r : undefined;
    }, 'the approved workflow to complete');
    expect(done.body.steps.map((s: { step: string; status: string }) => [s.step, s.status])).toEqual([
      ['generate_plan', 'success'],
      ['assess_risks', 'success'],
      ['generate_report', 'success'],
    ]);
    // The approved edit cut the scope before the steps ran.
    expect(done.body.steps[0].result.milestones).toHaveLength(1);
    expect(
      done.body.decisions.map((d: { actor: string; decision: string }) => [d.actor, d.decision]),
    ).toEqual([
      ['key:bob', 'approve'],
      ['key:carol', 'approve'],
    ]);

    const late = await decide(id, 'approve', 'root');
    expect(late.status).toBe(409);
    expect(late.body).toMatchObject({ code: 'WORKFLOW_CONFLICT', status: 'completed' });
    expect(late.body.message).toContain('is completed');
  });

  it('a rejection needs a comment and ends the workflow for good', async () => {
    const id = (await submit(risky())).body.workflow_id as string;
    const bare = await decide(id, 'reject', 'carol', {});
    expect(bare.status).toBe(400);
    expect(JSON.stringify(bare.body.message)).toContain('comment');
    const rejected = await decide(id, 'reject', 'carol', { comment: 'Budget not approved' });
    expect(rejected.status).toBe(200);
    expect(rejected.body).toMatchObject({ status: 'rejected', steps: [] });
    expect((await decide(id, 'approve', 'bob')).status).toBe(409);
  });

  it('refuses self-approval and callers without the role, naming the rule', async () => {
    const id = (await submit(risky(), 'bob')).body.workflow_id as string;
    const self = await decide(id, 'approve', 'bob');
    expect(self.status).toBe(403);
    expect(self.body.message).toContain('Separation of duties');
    const noRole = await decide(id, 'approve', 'alice');
    expect(noRole.status).toBe(403);
    expect(noRole.body.message).toContain('needs the approver role');
    const auditorSubmits = await submit(risky(), 'audrey');
    expect(auditorSubmits.status).toBe(403);
    expect(auditorSubmits.body.message).toContain('submitter');
    const unknown = await decide('wf-does-not-exist', 'approve', 'carol');
    expect(unknown.status).toBe(404);
  });

  it('only the requester or an admin cancels', async () => {
    const id = (await submit(risky())).body.workflow_id as string;
    expect((await decide(id, 'cancel', 'carol')).status).toBe(403);
    const cancelled = await decide(id, 'cancel', 'alice');
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.status).toBe('cancelled');
    const id2 = (await submit(risky())).body.workflow_id as string;
    expect((await decide(id2, 'cancel', 'root')).body.status).toBe('cancelled');
  });

  it('an Idempotency-Key retry returns the same workflow; the same key with another body is a 422', async () => {
    // Assessed low, so it runs and answers 200 (unassessed work would be held).
    const body = {
      workflow_type: 'project_initialization',
      data: { name: 'Once', goals: ['A'] },
      governance_data: { financial_impact: 0 },
    };
    const first = await submit(body, 'alice', { 'idempotency-key': 'retry-1' });
    const again = await submit(body, 'alice', { 'idempotency-key': 'retry-1' });
    expect(first.status).toBe(200);
    expect(again.status).toBe(200);
    expect(again.body.workflow_id).toBe(first.body.workflow_id);
    const other = await submit({ ...body, data: { name: 'Twice' } }, 'alice', {
      'idempotency-key': 'retry-1',
    });
    expect(other.status).toBe(422);
    expect(other.body.message).toContain('Idempotency-Key');
    const list = await request(`${t.url}/api/v1/workflows?type=project_initialization&limit=100`, {
      headers: as('carol'),
    });
    expect(
      list.body.items.filter((w: { workflow_id: string }) => w.workflow_id === first.body.workflow_id),
    ).toHaveLength(1);
  });

  it('lists newest first with status filter and cursor paging', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await submit(risky())).body.workflow_id as string);
    const page1 = await request(`${t.url}/api/v1/workflows?status=pending_approval&limit=2`, {
      headers: as('carol'),
    });
    expect(page1.status).toBe(200);
    expect(page1.body.items.map((w: { workflow_id: string }) => w.workflow_id)).toEqual([ids[2], ids[1]]);
    expect(page1.body.items.every((w: { status: string }) => w.status === 'pending_approval')).toBe(true);
    // Summaries: the input and step results (megabytes at the input limits) stay on GET /:id.
    expect(page1.body.items[0]).not.toHaveProperty('data');
    expect(page1.body.items[0]).not.toHaveProperty('steps');
    expect(page1.body.items[0]).toMatchObject({
      requested_by: 'key:alice',
      requested_by_name: 'alice',
      approvals_required: 2,
      approvals: 0,
    });
    const page2 = await request(
      `${t.url}/api/v1/workflows?status=pending_approval&limit=2&cursor=${encodeURIComponent(page1.body.next_cursor)}`,
      { headers: as('carol') },
    );
    expect(page2.body.items[0].workflow_id).toBe(ids[0]);
    const bad = await request(`${t.url}/api/v1/workflows?status=nope`, { headers: as('carol') });
    expect(bad.status).toBe(400);
  });

  it.each([
    [{ financial_impact: '100000', compliance_level: 'critical' }, 'governance_data.financial_impact'],
    [{ compliance_level: 'whatever' }, 'governance_data.compliance_level'],
    [{ explainability_score: 2 }, 'governance_data.explainability_score'],
  ])(
    'malformed governance_data %j is a 400 naming the field, and nothing runs',
    async (governance_data, field) => {
      const res = await submit({ workflow_type: 'project_initialization', data: {}, governance_data });
      expect(res.status).toBe(400);
      expect(JSON.stringify(res.body.message)).toContain(field);
    },
  );

  it('the audit trail is readable by auditors only, verifies, and reports an entry altered in the database', async () => {
    expect((await request(`${t.url}/api/v1/audit`, { headers: as('alice') })).status).toBe(403);
    const id = (await submit(risky())).body.workflow_id as string;
    await decide(id, 'reject', 'carol', { comment: 'no' });
    const trail = await request(`${t.url}/api/v1/audit?workflow_id=${id}`, { headers: as('audrey') });
    expect(trail.status).toBe(200);
    expect(
      trail.body.items.map((e: Record<string, unknown>) => [
        e.actor,
        e.actor_name,
        e.action,
        e.from_status,
        e.to_status,
        e.comment,
      ]),
    ).toEqual([
      ['key:alice', 'alice', 'created', null, 'pending_approval', null],
      ['key:carol', 'carol', 'reject', 'pending_approval', 'rejected', 'no'],
    ]);
    expect(trail.body.items[1].prev_hash).toBe(trail.body.items[0].hash);
    const serialized = JSON.stringify(trail.body);
    for (const key of Object.values(KEYS)) expect(serialized).not.toContain(key);

    const ok = await request(`${t.url}/api/v1/audit/verify`, { headers: as('audrey') });
    expect(ok.body).toMatchObject({ ok: true });
    expect(ok.body.entries).toBeGreaterThanOrEqual(2);

    const seq = trail.body.items[0].seq as number;
    const db = new DatabaseSync(dbPath);
    try {
      db.prepare('UPDATE audit SET comment = ? WHERE seq = ?').run('rewritten history', seq);
    } finally {
      db.close();
    }
    const bad = await request(`${t.url}/api/v1/audit/verify`, { headers: as('root') });
    expect(bad.body).toMatchObject({ ok: false, first_bad_seq: seq });
  });
});

describe('Governance fails closed and workflows expire', () => {
  let t: TestApp;
  afterEach(() => t?.close());

  it('a disabled governance agent holds the workflow for approval instead of running it', async () => {
    t = await startTestApp({ overrides: { agents: { governance_agent: { enabled: false } } } });
    const res = await request(`${t.url}/api/v1/workflows`, {
      body: {
        workflow_type: 'project_initialization',
        data: { name: 'X' },
        governance_data: { financial_impact: 1 },
      },
      headers: { 'x-mira-actor': 'dana' },
    });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({
      status: 'pending_approval',
      // Open development mode: a claimed name is its own source, never a key's or a provider's.
      requested_by: 'dev:dana',
      requested_by_name: 'dana',
      reasons: ['Governance assessment unavailable: Agent not found: governance_agent'],
      steps: [],
    });
  });

  it('a workflow nobody decides expires and never runs (actor system)', async () => {
    t = await startTestApp({
      overrides: { governance: { approval_ttl_seconds: 1, sweep_interval_seconds: 0.2 } },
    });
    const res = await request(`${t.url}/api/v1/workflows`, {
      body: {
        workflow_type: 'project_initialization',
        data: {},
        governance_data: { financial_impact: 99999 },
      },
    });
    const id = res.body.workflow_id as string;
    const expired = await until(async () => {
      const r = await request(`${t.url}/api/v1/workflows/${id}`);
      return r.body.status === 'expired' ? r : undefined;
    }, 'the workflow to expire');
    expect(expired.body.steps).toEqual([]);
    const audit = await request(`${t.url}/api/v1/audit?workflow_id=${id}`);
    expect(audit.body.items.at(-1)).toMatchObject({
      actor: 'system',
      action: 'expire',
      to_status: 'expired',
    });
    const late = await request(`${t.url}/api/v1/workflows/${id}/approve`, {
      body: {},
      headers: { 'x-mira-actor': 'someone-else' },
    });
    expect(late.status).toBe(409);
  });
});
