import { createHmac } from 'node:crypto';
import { ProjectsService, Sleeper, SyncScheduler } from '@mira/projects';
import { FakeGithub, firstApiIssues } from './support/fake-github';
import { FakeTrello } from './support/fake-trello';
import { until } from './support/poll';
import { request, startTestApp, type TestApp } from './support/test-app';

const GH_TOKEN = 'ghp_e2eTokenValueNeverLogged123';
const TRELLO_TOKEN = 'trello-e2e-token-never-logged';
const GH_SECRET = 'gh-webhook-secret';
const BOARD = 'b0ardE2e1234';
const TRELLO_APP_SECRET = 'trello-app-secret-e2e';

describe('projects over the real app: GitHub + Trello, sync, webhooks, reports', () => {
  let t: TestApp;
  let gh: FakeGithub;
  let trello: FakeTrello;

  beforeAll(async () => {
    gh = new FakeGithub('acme/api', GH_TOKEN);
    trello = new FakeTrello(BOARD, 'trello-key', TRELLO_TOKEN);
    await Promise.all([gh.tracker.start(), trello.tracker.start()]);
    for (const issue of firstApiIssues()) gh.put(issue);
    gh.put({ number: 3, title: 'Load test', state: 'open', updated_at: '2026-12-03T10:00:00Z' });
    trello.lists.set('l1', 'To Do').set('l2', 'Doing').set('l3', 'Shipped');
    trello.put({ id: 'c1', name: 'Copy', idList: 'l3', dateLastActivity: '2026-12-01T10:00:00.000Z' });
    trello.put({ id: 'c2', name: 'Launch', idList: 'l1', dateLastActivity: '2026-12-02T10:00:00.000Z' });
    t = await startTestApp({
      env: { GITHUB_TOKEN: GH_TOKEN, TRELLO_TOKEN },
      overrides: {
        integrations: {
          // Credentials as secret:// references (env backend: GITHUB_TOKEN, TRELLO_TOKEN).
          github: { token: 'secret://github:token', base_url: gh.url, retry_base_ms: 5, max_retries: 1 },
          trello: {
            key: 'trello-key',
            token: TRELLO_TOKEN,
            base_url: trello.url,
            retry_base_ms: 5,
            max_retries: 1,
          },
        },
        webhooks: { github: { secret: GH_SECRET }, trello: { secret: TRELLO_APP_SECRET } },
        projects: {
          launch: {
            sources: [
              { github: { repo: 'acme/api' } },
              { trello: { board: BOARD, lists_done: ['Shipped'] } },
            ],
            stale_after_seconds: 3600,
          },
        },
      },
    });
  });
  afterAll(async () => {
    await t?.close();
    await Promise.all([gh.tracker.stop(), trello.tracker.stop()]);
  });

  it('POST /:name/sync reads both trackers and GET /:name shows sources, last sync and counts', async () => {
    const sync = await request(`${t.url}/api/v1/projects/launch/sync`, { method: 'POST' });
    expect(sync.status).toBe(200);
    expect(sync.body.sources).toEqual([
      expect.objectContaining({ source: 'github:acme/api', status: 'success', items: 3 }),
      expect.objectContaining({ source: `trello:${BOARD}`, status: 'success', items: 2 }),
    ]);
    const view = await request(`${t.url}/api/v1/projects/launch`);
    expect(view.status).toBe(200);
    expect(view.body.counts).toEqual({ not_started: 2, in_progress: 1, completed: 2, blocked: 0 });
    expect(view.body.total_tasks).toBe(5);
    expect(view.body.sources[0]).toMatchObject({
      source: 'github:acme/api',
      stale: false,
      last_sync: { status: 'success', items: 3 },
    });

    const page = await request(`${t.url}/api/v1/projects/launch/tasks?limit=2&offset=2`);
    expect(page.body).toMatchObject({ total: 5, limit: 2, offset: 2 });
    expect(page.body.tasks.map((x: { external_id: string }) => x.external_id)).toEqual(['3', 'c1']);
    const bad = await request(`${t.url}/api/v1/projects/launch/tasks?limit=0`);
    expect(bad.status).toBe(400);
    expect((await request(`${t.url}/api/v1/projects/nope`)).status).toBe(404);
  });

  it('a report on { project } counts the stored tasks and says when each source was synced', async () => {
    const res = await request(`${t.url}/api/v1/messages`, {
      body: { type: 'generate_report', data: { project: 'launch' } },
    });
    expect(res.status).toBe(200);
    expect(res.body.data.project_name).toBe('launch');
    expect(res.body.data.summary).toEqual({
      total_tasks: 5,
      completed_tasks: 2,
      in_progress_tasks: 1,
      not_started_tasks: 2,
      completion_percentage: 40,
      blocked_tasks: 0,
    });
    expect(res.body.data.stale_sources).toEqual([]);
    expect(res.body.data.sources.map((s: { source: string }) => s.source)).toEqual([
      'github:acme/api',
      `trello:${BOARD}`,
    ]);
    const risks = await request(`${t.url}/api/v1/messages`, {
      body: { type: 'assess_risks', data: { project: 'launch', duration_weeks: 1, description: '' } },
    });
    expect(risks.body.data).toMatchObject({ project_name: 'launch', total_risks: 0 });
    const unknown = await request(`${t.url}/api/v1/messages`, {
      body: { type: 'generate_report', data: { project: 'nope' } },
    });
    expect(unknown.status).toBe(422);
    expect(unknown.body.error).toContain('no project named nope');
  });

  it('a signed GitHub issues delivery updates the task within a second and the next report shows it', async () => {
    const body = JSON.stringify({
      action: 'closed',
      repository: { full_name: 'acme/api' },
      issue: {
        number: 2,
        title: 'Build API',
        state: 'closed',
        updated_at: '2026-12-06T10:00:00Z',
        labels: [],
        assignee: null,
      },
    });
    const sig = `sha256=${createHmac('sha256', GH_SECRET).update(body).digest('hex')}`;
    const res = await request(`${t.url}/webhooks/github`, {
      raw: body,
      headers: { 'x-hub-signature-256': sig, 'x-github-event': 'issues', 'x-github-delivery': 'd-1' },
    });
    expect(res.status).toBeLessThan(300);
    await until(
      async () => {
        const tasks = await request(`${t.url}/api/v1/projects/launch/tasks?source=github:acme/api`);
        return tasks.body.tasks.find(
          (x: { external_id: string; status: string }) => x.external_id === '2' && x.status === 'completed',
        );
      },
      'the webhook to close task 2',
      1000,
    );
    const report = await request(`${t.url}/api/v1/messages`, {
      body: { type: 'generate_report', data: { project: 'launch' } },
    });
    expect(report.body.data.summary).toMatchObject({
      completed_tasks: 3,
      in_progress_tasks: 0,
      completion_percentage: 60,
    });
  });

  it('a signed Trello updateCard delivery moves the card at once', async () => {
    const body = JSON.stringify({
      model: { id: BOARD },
      action: {
        id: 'act-77',
        type: 'updateCard',
        date: '2026-12-06T12:00:00.000Z',
        data: {
          card: { id: 'c2', name: 'Launch' },
          board: { id: BOARD },
          listBefore: { name: 'To Do' },
          listAfter: { name: 'Shipped' },
        },
      },
    });
    const sig = createHmac('sha1', TRELLO_APP_SECRET)
      .update(body + `${t.url}/webhooks/trello`)
      .digest('base64');
    const res = await request(`${t.url}/webhooks/trello`, {
      raw: body,
      headers: { 'x-trello-webhook': sig },
    });
    expect(res.status).toBeLessThan(300);
    await until(
      async () => {
        const tasks = await request(`${t.url}/api/v1/projects/launch/tasks?source=trello:${BOARD}`);
        return tasks.body.tasks.find(
          (x: { external_id: string; status: string }) => x.external_id === 'c2' && x.status === 'completed',
        );
      },
      'the webhook to complete card c2',
      1000,
    );
  });

  it('a failing tracker shows in the project status, health and metrics; a source not synced in time is flagged stale', async () => {
    trello.throttle = 0;
    for (let i = 0; i < 4; i++) trello.tracker.failNext(502);
    const sleeper = t.app.get(Sleeper);
    const later = Date.now() + 2 * 3600_000;
    jest.spyOn(sleeper, 'now').mockReturnValue(later);
    const sync = await request(`${t.url}/api/v1/projects/launch/sync`, { method: 'POST' });
    expect(sync.body.sources[1]).toMatchObject({ status: 'error', error: expect.stringContaining('502') });
    const view = await request(`${t.url}/api/v1/projects/launch`);
    expect(view.body.sources[1]).toMatchObject({
      stale: true,
      last_sync: { status: 'error', error: expect.stringContaining('502') },
    });
    expect(view.body.sources[0].stale).toBe(false);

    const report = await request(`${t.url}/api/v1/messages`, {
      body: { type: 'generate_report', data: { project: 'launch' } },
    });
    expect(report.body.data.stale_sources).toEqual([`trello:${BOARD}`]);

    const health = await request(`${t.url}/healthz`);
    expect(health.status).toBe(200);
    expect(health.body.checks.connector_trello).toMatchObject({ status: 'degraded' });
    expect(health.body.checks.connector_trello.reason).toContain(`launch/trello:${BOARD}`);
    expect(health.body.checks.connector_github.status).toBe('healthy');
    expect(health.text).not.toContain(TRELLO_TOKEN);

    const metrics = (await request(`${t.url}/metrics`)).text;
    expect(metrics).toMatch(/mira_sync_runs_total\{source="trello",status="error"\} 1/);
    expect(metrics).toMatch(/mira_sync_items_total\{source="github"\} \d+/);
    expect(metrics).toMatch(/mira_connector_rate_limit_remaining\{source="github"\} \d+/);
    expect(metrics).not.toContain(GH_TOKEN);
    jest.restoreAllMocks();
  });

  it('POST /api/v1/projects declares a project (admin); bad sources are a 400 naming the key', async () => {
    const created = await request(`${t.url}/api/v1/projects`, {
      headers: { 'x-mira-actor': 'pat' },
      body: {
        name: 'web',
        sources: [{ github: { repo: 'acme/web' } }],
        status_map: { 'needs review': 'in_progress' },
      },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'web', origin: 'api', total_tasks: 0 });
    // Who declared it is stored as the caller's stable id, not the display name.
    const stored = await t.app.get(ProjectsService).store.listProjects();
    expect(stored.find((p) => p.name === 'web')?.created_by).toBe('dev:pat');
    const dup = await request(`${t.url}/api/v1/projects`, {
      body: { name: 'web', sources: [{ github: { repo: 'acme/web' } }] },
    });
    expect(dup.status).toBe(409);
    const bad = await request(`${t.url}/api/v1/projects`, {
      body: { name: 'x', sources: [{ github: { repo: 'no-slash' } }] },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toContain('github.repo');
    const unknown = await request(`${t.url}/api/v1/projects`, {
      body: { name: 'y', sources: [{ gitlab: { id: 1 } }] },
    });
    expect(unknown.status).toBe(400);
    expect(
      (await request(`${t.url}/api/v1/projects`)).body.projects.map((p: { name: string }) => p.name),
    ).toEqual(['launch', 'web']);
  });

  it('the periodic sync runs a due project once per interval (claimed through its lease row)', async () => {
    const created = await request(`${t.url}/api/v1/projects`, {
      body: { name: 'ticker', sources: [{ github: { repo: 'acme/api' } }], sync_interval_seconds: 60 },
    });
    expect(created.status).toBe(201);
    const scheduler = t.app.get(SyncScheduler);
    const sleeper = t.app.get(Sleeper);
    const start = Date.now();
    const now = jest.spyOn(sleeper, 'now').mockReturnValue(start);
    const calls = () => gh.listRequests().length;
    const before = calls();
    await scheduler.tick();
    const afterFirst = calls();
    expect(afterFirst).toBe(before + 2); // three issues, two pages
    expect((await request(`${t.url}/api/v1/projects/ticker`)).body.counts).toMatchObject({
      completed: 1,
      in_progress: 1,
    });
    await scheduler.tick();
    expect(calls()).toBe(afterFirst); // not due yet
    now.mockReturnValue(start + 61_000);
    await scheduler.tick();
    expect(calls()).toBe(afterFirst + 1);
    expect(gh.listRequests().at(-1)?.query.get('since')).toBe('2026-12-03T10:00:00Z'); // incremental
    jest.restoreAllMocks();
  });
});

describe('a configured project with a wrong source', () => {
  it('stops the start with a message naming the key', async () => {
    const err = await startTestApp({
      overrides: { projects: { broken: { sources: [{ github: { repo: 'no-slash' } }] } } },
    }).then(
      async (t) => {
        await t.close();
        return null;
      },
      (e: Error) => e,
    );
    expect(err?.message).toContain('projects.broken.sources[0]: github.repo must be "owner/name"');
  });
});
