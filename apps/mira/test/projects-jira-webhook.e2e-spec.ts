import { createHmac } from 'node:crypto';
import { FakeJira } from './support/fake-jira';
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
    jira.put({
      key: 'OPS-1',
      summary: 'Plan',
      status: 'Done',
      category: 'done',
      updated: '2026-12-01T10:00:00.000Z',
    });
    jira.put({
      key: 'OPS-2',
      summary: 'Build',
      status: 'In Progress',
      category: 'indeterminate',
      updated: '2026-12-02T10:00:00.000Z',
    });
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
});
