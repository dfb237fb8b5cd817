import { request, startTestApp, type TestApp } from './support/test-app';
import { until } from './support/poll';
import { startHttpReceiver, startSmtpReceiver, type HttpReceiver } from './support/delivery-receivers';

const SECRET = 'whsec_' + Buffer.from('e2e-secret-of-thirty-two-bytes!!').toString('base64');
const KEYS = {
  alice: 'alice-key-0123456789abcdef',
  bob: 'bob-key-0123456789abcdef',
  audrey: 'audrey-key-0123456789abcdef',
  root: 'root-key-0123456789abcdef',
};
const as = (who: keyof typeof KEYS) => ({ authorization: `Bearer ${KEYS[who]}` });

const report = {
  name: 'Apollo',
  week_number: 2,
  tasks: [
    { name: 'Design API', status: 'completed' },
    { name: 'Build API', status: 'in_progress' },
  ],
  risks: [{ id: 'R1', description: 'Vendor delay', severity: 'high' }],
};

describe('Schedules and deliveries over HTTP (real app, local receivers, SMTP)', () => {
  let t: TestApp;
  let hook: HttpReceiver;
  let slack: HttpReceiver;
  let flaky: HttpReceiver;
  let down: HttpReceiver & { failing?: boolean };
  let smtp: Awaited<ReturnType<typeof startSmtpReceiver>>;

  beforeAll(async () => {
    hook = await startHttpReceiver(SECRET);
    slack = await startHttpReceiver();
    flaky = await startHttpReceiver(SECRET);
    const state = { failing: true };
    down = Object.assign(
      await startHttpReceiver(undefined, () => (state.failing ? { status: 503 } : undefined)),
      state,
    );
    Object.defineProperty(down, 'failing', {
      set: (v: boolean) => (state.failing = v),
      get: () => state.failing,
    });
    smtp = await startSmtpReceiver();
    t = await startTestApp({
      overrides: {
        api: {
          keys: [
            { name: 'alice', key: KEYS.alice, roles: ['submitter'] },
            { name: 'bob', key: KEYS.bob, roles: ['submitter'] },
            { name: 'audrey', key: KEYS.audrey, roles: ['auditor'] },
            { name: 'root', key: KEYS.root, roles: ['admin'] },
          ],
        },
        schedules: {
          tick_ms: 100,
          grace_ms: 2000,
          min_interval_seconds: 1, // the seconds crons below

          'config-nightly': {
            cron: '0 3 * * *',
            timezone: 'Europe/Berlin',
            target: { message: { type: 'generate_report', data: report } },
          },
        },
        deliveries: {
          poll_interval_ms: 50,
          backoff_initial_ms: 20,
          backoff_max_ms: 100,
          max_attempts: 5,
          smtp: { host: '127.0.0.1', port: smtp.port, from: 'Mira <mira@example.com>' },
          destinations: {
            ci: { kind: 'webhook', url: `${hook.url}/ci`, secret: SECRET },
            team: { kind: 'slack', url: `${slack.url}/services/T/B/X` },
            pm: { kind: 'email', to: ['pm@example.com'] },
            flaky: { kind: 'webhook', url: `${flaky.url}/flaky`, secret: SECRET },
            down: { kind: 'webhook', url: `${down.url}/down` },
          },
          workflows: {
            project_initialization: { on: ['completed', 'pending_approval'], destinations: ['ci'] },
          },
        },
      },
    });
  });
  afterAll(async () => {
    await t?.close();
    await Promise.all([hook, slack, flaky, down].map((r) => r?.close()));
    await smtp?.close();
  });

  const api = (path: string, who: keyof typeof KEYS, init: { method?: string; body?: unknown } = {}) =>
    request(`${t.url}/api/v1${path}`, { ...init, headers: as(who) });
  const create = (body: Record<string, unknown>, who: keyof typeof KEYS = 'alice') =>
    api('/schedules', who, { body: { timezone: 'UTC', ...body } });

  it('roles: a submitter creates and owns; auditors read; others cannot change it; bad cron is a 400', async () => {
    const made = await create({
      name: 'weekly-apollo',
      cron: '0 16 * * 5',
      timezone: 'Europe/Berlin',
      target: { message: { type: 'generate_report', data: report } },
    });
    expect(made.status).toBe(201);
    expect(made.body).toMatchObject({
      name: 'weekly-apollo',
      // The owner is the creator's stable id (workflows it runs are requested by that id).
      owner: 'key:alice',
      source: 'api',
      overlap: 'skip',
      catch_up: 'latest',
    });
    const view = await api(`/schedules/${made.body.id}`, 'audrey');
    expect(view.status).toBe(200);
    expect(view.body.next_runs).toHaveLength(5);
    expect(new Date(view.body.next_runs[0]).getUTCDay()).toBe(5);
    expect(
      (await create({ name: 'x', cron: '* * *', target: { message: { type: 'generate_report', data: {} } } }))
        .status,
    ).toBe(400);
    expect(
      (
        await create({
          name: 'y',
          cron: '* * * * *',
          timezone: 'Nowhere/Land',
          target: { message: { type: 'a', data: {} } },
        })
      ).status,
    ).toBe(400);
    expect(
      (await create({ name: 'z', cron: '* * * * *', target: { message: { type: 'a', data: {} } } }, 'audrey'))
        .status,
    ).toBe(403);
    expect((await api(`/schedules/${made.body.id}/pause`, 'bob', { method: 'POST' })).status).toBe(403);
    expect((await api(`/schedules/${made.body.id}/pause`, 'alice', { method: 'POST' })).body.paused).toBe(
      true,
    );
    expect((await api(`/schedules/${made.body.id}`, 'root', { method: 'DELETE' })).status).toBe(204);
    expect(
      (
        await create({
          name: 'w',
          cron: '* * * * *',
          deliveries: ['nope'],
          target: { message: { type: 'a', data: {} } },
        })
      ).status,
    ).toBe(400);
  });

  it('config-declared schedules are listed and read-only through the API', async () => {
    const list = await api('/schedules', 'audrey');
    const nightly = list.body.schedules.find((s: { name: string }) => s.name === 'config-nightly');
    expect(nightly).toMatchObject({ source: 'config', owner: 'config', timezone: 'Europe/Berlin' });
    const patch = await api(`/schedules/${nightly.id}`, 'root', {
      method: 'PATCH',
      body: {
        name: 'config-nightly',
        cron: '0 4 * * *',
        target: { message: { type: 'generate_report', data: {} } },
      },
    });
    expect(patch.status).toBe(409);
    expect(patch.body.message).toMatch(/declared in the config file/);
    const health = await request(`${t.url}/healthz`);
    expect(health.body.checks.schedules).toMatchObject({ status: 'healthy', behind: 0 });
    const metrics = (await request(`${t.url}/metrics`)).text;
    expect(metrics).toMatch(/^# TYPE mira_schedule_runs_total counter$/m);
    expect(metrics).toMatch(/^mira_deliveries_pending \d+$/m);
  });

  it('the weekly report end to end: a triggered run reaches Slack and email', async () => {
    const made = await create({
      name: 'weekly-report',
      cron: '0 16 * * 5',
      timezone: 'Europe/Berlin',
      target: { message: { type: 'generate_report', data: report } },
      deliveries: ['team', 'pm'],
    });
    const run = await api(`/schedules/${made.body.id}/trigger`, 'alice', { method: 'POST' });
    expect(run.status).toBe(202);
    await until(() => slack.requests.length === 1 && smtp.mails.length === 1, 'slack and email received');
    const msg = JSON.parse(slack.requests[0].body);
    expect(msg.text).toBe('Status report: Apollo, week 2: 50% complete (1 of 2 tasks)');
    expect(JSON.stringify(msg.blocks)).toContain('R1: Vendor delay (high)');
    expect(smtp.mails[0].raw).toMatch(/text\/plain[\s\S]*text\/html/);
    const runs = await until(async () => {
      const r = await api(`/schedules/${made.body.id}/runs`, 'audrey');
      return r.body.runs[0]?.status === 'succeeded' ? r.body.runs : null;
    }, 'run succeeded');
    expect(runs[0]).toMatchObject({ trigger: 'manual', status: 'succeeded' });
    expect(runs[0].deliveries).toHaveLength(2);
  });

  it('fires a seconds cron in real time, once per slot; pause stops it', async () => {
    const made = await create({
      name: 'every-second',
      cron: '* * * * * *',
      target: { message: { type: 'generate_report', data: report } },
      deliveries: ['ci'],
    });
    await until(
      async () => (await api(`/schedules/${made.body.id}/runs`, 'alice')).body.runs.length >= 3,
      '3 runs',
      8000,
    );
    await api(`/schedules/${made.body.id}/pause`, 'alice', { method: 'POST' });
    const runs = (await api(`/schedules/${made.body.id}/runs?limit=100`, 'alice')).body.runs as {
      scheduled_time: string;
    }[];
    expect(new Set(runs.map((r) => r.scheduled_time)).size).toBe(runs.length);
    await until(() => hook.requests.length >= 3, 'webhooks delivered');
    expect(hook.requests.every((r) => r.verified === true)).toBe(true);
  });

  it('a receiver failing 3 times then answering 200 gets the message once, with one webhook-id', async () => {
    flaky.answers = [500, 500, 500];
    const made = await create({
      name: 'flaky-run',
      cron: '0 0 1 1 *',
      target: { message: { type: 'generate_report', data: report } },
      deliveries: ['flaky'],
    });
    await api(`/schedules/${made.body.id}/trigger`, 'alice', { method: 'POST' });
    const delivered = await until(async () => {
      const r = await api('/deliveries?status=delivered', 'audrey');
      return r.body.deliveries.find((d: { destination: string }) => d.destination === 'flaky');
    }, 'flaky delivery delivered');
    expect(delivered.attempts).toBe(4);
    expect(flaky.requests).toHaveLength(4);
    expect(new Set(flaky.requests.map((r) => r.headers['webhook-id']))).toEqual(new Set([delivered.id]));
    expect(flaky.requests.every((r) => r.verified)).toBe(true);
  });

  it('a delivery dead past max_attempts is listed, and an admin retry delivers it', async () => {
    const made = await create({
      name: 'down-run',
      cron: '0 0 1 1 *',
      target: { message: { type: 'generate_report', data: report } },
      deliveries: ['down'],
    });
    await api(`/schedules/${made.body.id}/trigger`, 'alice', { method: 'POST' });
    const dead = await until(
      async () => {
        const r = await api('/deliveries?status=dead', 'audrey');
        return r.body.deliveries.find((d: { destination: string }) => d.destination === 'down');
      },
      'dead delivery',
      10000,
    );
    expect(dead).toMatchObject({ attempts: 5, last_error: expect.stringContaining('503') });
    expect(down.requests).toHaveLength(5);
    expect((await api(`/deliveries/${dead.id}/retry`, 'alice', { method: 'POST' })).status).toBe(403);
    down.failing = false;
    expect((await api(`/deliveries/${dead.id}/retry`, 'root', { method: 'POST' })).status).toBe(202);
    await until(async () => {
      const r = await api('/deliveries?status=delivered', 'audrey');
      return r.body.deliveries.some((d: { id: string }) => d.id === dead.id);
    }, 'retried delivery delivered');
    expect((await api('/deliveries?status=bogus', 'audrey')).status).toBe(400);
  });

  it('a scheduled workflow is requested by the owner: risky waits for approval; outcomes reach `on` destinations', async () => {
    const project = { name: 'Sched', description: 'scheduled', goals: ['a', 'b'], duration_weeks: 2 };
    const risky = await create({
      name: 'risky-wf',
      cron: '0 0 1 1 *',
      target: {
        workflow_type: 'project_initialization',
        data: project,
        governance_data: { financial_impact: 250000, compliance_level: 'high' },
      },
    });
    const calm = await create({
      name: 'calm-wf',
      cron: '0 0 1 1 *',
      // Assessed low, so it runs (unassessed work is held by default).
      target: {
        workflow_type: 'project_initialization',
        data: project,
        governance_data: { financial_impact: 0 },
      },
    });
    await api(`/schedules/${risky.body.id}/trigger`, 'alice', { method: 'POST' });
    await api(`/schedules/${calm.body.id}/trigger`, 'alice', { method: 'POST' });
    const runOf = (id: string, status: string) =>
      until(async () => {
        const r = await api(`/schedules/${id}/runs`, 'audrey');
        return r.body.runs[0]?.status === status ? r.body.runs[0] : null;
      }, `run ${status}`);
    const held = await runOf(risky.body.id, 'pending_approval');
    const done = await runOf(calm.body.id, 'succeeded');
    const wf = await api(`/workflows/${held.workflow_id}`, 'root');
    expect(wf.body).toMatchObject({
      status: 'pending_approval',
      requested_by: 'key:alice',
      requested_by_name: 'alice',
    });
    const types = () =>
      hook.requests.map((r) => JSON.parse(r.body) as { type: string; data: { workflow_id: string } });
    await until(
      () =>
        types().some(
          (m) => m.type === 'workflow.pending_approval' && m.data.workflow_id === held.workflow_id,
        ) && types().some((m) => m.type === 'workflow.completed' && m.data.workflow_id === done.workflow_id),
      'workflow outcomes delivered',
    );
  });
});
