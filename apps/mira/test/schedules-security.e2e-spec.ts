import { request, startTestApp, type TestApp } from './support/test-app';
import { until } from './support/poll';

const KEYS = {
  alice: 'alice-key-0123456789abcdef',
  bob: 'bob-key-0123456789abcdef',
  audrey: 'audrey-key-0123456789abcdef',
  root: 'root-key-0123456789abcdef',
};
const as = (who: keyof typeof KEYS) => ({ authorization: `Bearer ${KEYS[who]}` });
const project = { name: 'Sec', description: 'scheduled', goals: ['a', 'b'], duration_weeks: 2 };

describe('Schedules: who answers for a run, kill switches, bad destinations, limits (real app)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({
      overrides: {
        api: {
          keys: [
            { name: 'alice', key: KEYS.alice, roles: ['submitter'] },
            { name: 'bob', key: KEYS.bob, roles: ['submitter', 'approver'] },
            { name: 'audrey', key: KEYS.audrey, roles: ['auditor'] },
            { name: 'root', key: KEYS.root, roles: ['admin'] },
          ],
        },
        schedules: {
          tick_ms: 100,
          grace_ms: 2000,
          max_per_owner: 4,
          'config-fast': {
            cron: '*/5 * * * * *',
            target: { message: { type: 'generate_report', data: {} } },
          },
        },
      },
    });
  });
  afterAll(async () => {
    await t?.close();
  });

  const api = (path: string, who: keyof typeof KEYS, init: { method?: string; body?: unknown } = {}) =>
    request(`${t.url}/api/v1${path}`, { ...init, headers: as(who) });
  const create = (body: Record<string, unknown>, who: keyof typeof KEYS = 'alice') =>
    api('/schedules', who, { body: { timezone: 'UTC', cron: '0 0 1 1 *', ...body } });
  const lastRun = (id: string, done: (status: string) => boolean) =>
    until(async () => {
      const r = await api(`/schedules/${id}/runs`, 'audrey');
      return r.body.runs[0] && done(r.body.runs[0].status) ? r.body.runs[0] : null;
    }, 'run finished');

  it("an admin who edits someone's target takes the schedule over; a manual run is requested by who triggered it", async () => {
    const made = await create({
      name: 'alice-wf',
      target: { workflow_type: 'project_initialization', data: project },
    });
    expect(made.status).toBe(201);
    // root triggers alice's schedule untouched: the workflow is root's, not alice's.
    expect((await api(`/schedules/${made.body.id}/trigger`, 'root', { method: 'POST' })).status).toBe(202);
    const first = await lastRun(made.body.id, (s) => s !== 'running');
    expect((await api(`/workflows/${first.workflow_id}`, 'root')).body.requested_by).toBe('key:root');
    // root rewrites the target (risky data): the schedule becomes root's.
    const patched = await api(`/schedules/${made.body.id}`, 'root', {
      method: 'PATCH',
      body: {
        name: 'alice-wf',
        cron: '0 0 1 1 *',
        timezone: 'UTC',
        target: {
          workflow_type: 'project_initialization',
          data: { ...project, name: 'Sec2' },
          governance_data: { financial_impact: 900000, compliance_level: 'high' },
        },
      },
    });
    expect(patched.status).toBe(200);
    expect(patched.body.owner).toBe('key:root');
    // A pause by the owner-turned-bystander is now refused: it is not hers any more.
    expect((await api(`/schedules/${made.body.id}/pause`, 'alice', { method: 'POST' })).status).toBe(403);
  });

  it('schedule_report {create: true} with an unknown destination is refused, and stores nothing', async () => {
    const asked = await api('/messages', 'alice', {
      body: {
        type: 'schedule_report',
        data: {
          create: true,
          name: 'ghost-weekly',
          report: { name: 'Apollo' },
          deliveries: ['does-not-exist'],
        },
      },
    });
    expect(asked.body.status).toBe('error');
    expect(asked.body.error).toContain('does-not-exist');
    expect((await api('/schedules/ghost-weekly', 'audrey')).status).toBe(404);
  });

  it('renaming to a taken name is a 409; a schedule named like another id does not shadow it', async () => {
    const a = await create({ name: 'taken-a', target: { message: { type: 'generate_report', data: {} } } });
    const b = await create({ name: 'taken-b', target: { message: { type: 'generate_report', data: {} } } });
    expect([a.status, b.status]).toEqual([201, 201]);
    const renamed = await api(`/schedules/${b.body.id}`, 'alice', {
      method: 'PATCH',
      body: {
        name: 'taken-a',
        cron: '0 0 1 1 *',
        timezone: 'UTC',
        target: { message: { type: 'generate_report', data: {} } },
      },
    });
    expect(renamed.status).toBe(409);
    expect(renamed.body.message).toContain('taken-a');
    // bob names his schedule after alice's id: the id still means alice's schedule.
    const shadow = await create(
      { name: a.body.id, target: { message: { type: 'generate_report', data: {} } } },
      'bob',
    );
    expect(shadow.status).toBe(201);
    expect((await api(`/schedules/${a.body.id}`, 'audrey')).body.owner).toBe('key:alice');
    expect((await api(`/schedules/${a.body.id}/pause`, 'bob', { method: 'POST' })).status).toBe(403);
  });

  it('limits: a cron faster than min_interval_seconds is a 400 naming it (config ones too); max_per_owner holds', async () => {
    const fast = await create(
      { name: 'too-fast', cron: '*/10 * * * * *', target: { message: { type: 'a', data: {} } } },
      'bob',
    );
    expect(fast.status).toBe(400);
    expect(fast.body.message).toContain('schedules.min_interval_seconds');
    // `0,30 * * * * *` looks per-minute at a glance but fires every 30 s.
    expect(
      (
        await create(
          { name: 'sneaky', cron: '0,30 * * * * *', target: { message: { type: 'a', data: {} } } },
          'bob',
        )
      ).status,
    ).toBe(400);
    // The config-declared 5-second schedule was not applied under the default 60 s minimum.
    expect((await api('/schedules/config-fast', 'audrey')).status).toBe(404);
    // bob may own 4 (he already has one from the test above): creating 5 more, the last ones are refused.
    const made = [];
    for (let i = 0; i < 5; i++)
      made.push(
        (
          await create(
            { name: `bob-${i}`, cron: '* * * * *', target: { message: { type: 'a', data: {} } } },
            'bob',
          )
        ).status,
      );
    expect(made.filter((st) => st === 201).length).toBeGreaterThan(0);
    const fifth = await create(
      { name: 'bob-x', cron: '* * * * *', target: { message: { type: 'a', data: {} } } },
      'bob',
    );
    expect(fifth.status).toBe(409);
    const owned = (await api('/schedules', 'audrey')).body.schedules.filter(
      (x: { owner: string }) => x.owner === 'key:bob',
    );
    expect(owned).toHaveLength(4);
    expect(fifth.body.message).toContain('schedules.max_per_owner');
  });
});

describe('Schedules obey the workflow kill switch (real app)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({
      overrides: {
        api: { keys: [{ name: 'alice', key: KEYS.alice, roles: ['submitter'] }] },
        schedules: { tick_ms: 100 },
        features: {
          flags: {
            'workflow.project_initialization.enabled': {
              variants: { on: true, off: false },
              defaultVariant: 'off',
            },
          },
        },
      },
    });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('a scheduled workflow whose type is turned off fails naming the flag, and starts no workflow', async () => {
    const api = (path: string, init: { method?: string; body?: unknown } = {}) =>
      request(`${t.url}/api/v1${path}`, { ...init, headers: as('alice') });
    const made = await api('/schedules', {
      body: {
        name: 'off-wf',
        cron: '0 0 1 1 *',
        timezone: 'UTC',
        target: { workflow_type: 'project_initialization', data: project },
      },
    });
    expect(made.status).toBe(201);
    expect((await api(`/schedules/${made.body.id}/trigger`, { method: 'POST' })).status).toBe(202);
    const run = await until(async () => {
      const r = await api(`/schedules/${made.body.id}/runs`);
      return r.body.runs[0]?.status !== 'running' ? r.body.runs[0] : null;
    }, 'run finished');
    expect(run).toMatchObject({ status: 'failed', workflow_id: null });
    expect(run.error).toContain('workflow.project_initialization.enabled');
  });
});
