import { createHmac } from 'node:crypto';
import { FakeJira, opsIssues } from './support/fake-jira';
import { until } from './support/poll';
import { request, startTestApp, type TestApp } from './support/test-app';

const EMAIL = 'pm@example.com';
const JIRA_TOKEN = 'jira-e2e-token-never-logged';
const JIRA_SECRET = 'jira-webhook-secret-e2e';

/** A Jira Cloud admin webhook delivery as Atlassian sends it: X-Hub-Signature over the raw body. */
function jiraDelivery(url: string, payload: unknown, id: string) {
  const raw = JSON.stringify(payload);
  const sig = `sha256=${createHmac('sha256', JIRA_SECRET).update(raw).digest('hex')}`;
  return request(`${url}/webhooks/jira`, {
    raw,
    headers: { 'x-hub-signature': sig, 'x-atlassian-webhook-identifier': id },
  });
}

describe('a Jira project kept current by signed webhooks over HTTP', () => {
  let t: TestApp;
  let jira: FakeJira;
  const tasks = async () =>
    (await request(`${t.url}/api/v1/projects/ops/tasks`)).body.tasks as {
      external_id: string;
      status: string;
      title: string;
    }[];

  beforeAll(async () => {
    jira = new FakeJira(EMAIL, JIRA_TOKEN);
    await jira.tracker.start();
    for (const issue of opsIssues().slice(0, 2)) jira.put(issue);
    t = await startTestApp({
      overrides: {
        integrations: {
          jira: { base_url: jira.url, email: EMAIL, api_token: JIRA_TOKEN, retry_base_ms: 5, max_retries: 1 },
        },
        webhooks: { jira: { secret: JIRA_SECRET } },
        projects: { ops: { sources: [{ jira: { jql: 'project = OPS ORDER BY created DESC' } }] } },
      },
    });
    const sync = await request(`${t.url}/api/v1/projects/ops/sync`, { method: 'POST' });
    expect(sync.status).toBe(200);
    expect((await tasks()).map((x) => x.external_id).sort()).toEqual(['OPS-1', 'OPS-2']);
  });
  afterAll(async () => {
    await t?.close();
    await jira?.tracker.stop();
  });

  it('jira:issue_updated moves the task at once; the next report counts it', async () => {
    const res = await jiraDelivery(
      t.url,
      {
        webhookEvent: 'jira:issue_updated',
        issue: {
          key: 'OPS-2',
          self: `${jira.url}/rest/api/3/issue/10002`,
          fields: {
            summary: 'Build',
            status: { name: 'Done', statusCategory: { key: 'done' } },
            updated: '2026-12-06T10:00:00.000+0000',
          },
        },
      },
      'jira-d-1',
    );
    expect(res.status).toBeLessThan(300);
    await until(
      async () => (await tasks()).find((x) => x.external_id === 'OPS-2' && x.status === 'completed'),
      'the webhook to complete OPS-2',
      1000,
    );
    const report = await request(`${t.url}/api/v1/messages`, {
      body: { type: 'generate_report', data: { project: 'ops' } },
    });
    expect(report.body.data.summary).toMatchObject({ completed_tasks: 2, completion_percentage: 100 });
  });

  it('jira:issue_created adds a task and jira:issue_deleted removes it', async () => {
    const issue = {
      key: 'OPS-9',
      self: `${jira.url}/rest/api/3/issue/10009`,
      fields: {
        summary: 'Hotfix',
        status: { name: 'To Do', statusCategory: { key: 'new' } },
        updated: '2026-12-06T11:00:00.000+0000',
      },
    };
    expect(
      (await jiraDelivery(t.url, { webhookEvent: 'jira:issue_created', issue }, 'jira-d-2')).status,
    ).toBeLessThan(300);
    await until(
      async () => (await tasks()).find((x) => x.external_id === 'OPS-9' && x.status === 'not_started'),
      'OPS-9 created',
      1000,
    );
    expect(
      (await jiraDelivery(t.url, { webhookEvent: 'jira:issue_deleted', issue: { key: 'OPS-9' } }, 'jira-d-3'))
        .status,
    ).toBeLessThan(300);
    await until(async () => !(await tasks()).some((x) => x.external_id === 'OPS-9'), 'OPS-9 deleted', 1000);
  });

  it('a delivery with a wrong signature is refused and changes nothing', async () => {
    const raw = JSON.stringify({
      webhookEvent: 'jira:issue_deleted',
      issue: { key: 'OPS-1' },
    });
    const res = await request(`${t.url}/webhooks/jira`, {
      raw,
      headers: {
        'x-hub-signature': `sha256=${'0'.repeat(64)}`,
        'x-atlassian-webhook-identifier': 'jira-d-4',
      },
    });
    expect(res.status).toBe(401);
    expect((await tasks()).some((x) => x.external_id === 'OPS-1')).toBe(true);
  });

  it('update_plan with { project } fills the plan tasks from the stored tasks, then applies updates', async () => {
    const plan = {
      name: 'Ops',
      duration_weeks: 8,
      milestones: [{ id: 'M1', name: 'Build', week: 4, deliverables: [], status: 'not_started' }],
      tasks: [
        {
          id: 'M1-T1',
          milestone_id: 'M1',
          name: 'Build',
          status: 'not_started',
          priority: 'high',
          estimated_hours: 20,
        },
        {
          id: 'M1-T2',
          milestone_id: 'M1',
          name: 'Gone from Jira',
          status: 'not_started',
          priority: 'low',
          estimated_hours: 1,
        },
      ],
    };
    const res = await request(`${t.url}/api/v1/messages`, {
      body: { type: 'update_plan', data: { project: 'ops', plan, updates: { duration_weeks: 10 } } },
    });
    expect(res.status).toBe(200);
    const data = res.body.data;
    expect(data).toMatchObject({ name: 'Ops', duration_weeks: 10, milestones: plan.milestones });
    const byName = Object.fromEntries(data.tasks.map((x: { name: string }) => [x.name, x]));
    expect(Object.keys(byName).sort()).toEqual(['Build', 'Plan']);
    // A planned task of the same name keeps its plan fields; its status is the tracker's.
    expect(byName.Build).toMatchObject({
      id: 'M1-T1',
      milestone_id: 'M1',
      priority: 'high',
      status: 'completed',
    });
    expect(byName.Plan).toMatchObject({ id: 'jira:OPS-1', milestone_id: null, status: 'completed' });
    expect(data.project_sources).toEqual([expect.objectContaining({ stale: false, last_status: 'success' })]);
    // Without a project the plan is merged as before; an unknown project is a clear refusal.
    const plain = await request(`${t.url}/api/v1/messages`, {
      body: { type: 'update_plan', data: { plan, updates: {} } },
    });
    expect(plain.body.data.tasks).toEqual(plan.tasks);
    const unknown = await request(`${t.url}/api/v1/messages`, {
      body: { type: 'update_plan', data: { project: 'nope', plan, updates: {} } },
    });
    expect(unknown.status).toBe(422);
    expect(unknown.body.error).toMatch(/nope/);
  });
});
