import { GithubConnector, ProjectsError } from '@mira/projects';
import { FakeGithub, firstApiIssues } from './support/fake-github';
import { FakeTracker } from './support/fake-tracker';
import { VirtualSleeper, clientFor, syncOnce } from './support/connector-harness';

const TOKEN = 'ghp_fakeTokenValue0123456789';
const source = { kind: 'github', settings: { repo: 'acme/api' } };

describe('GitHub connector against a fake GitHub REST API', () => {
  let sleeper: VirtualSleeper;
  let gh: FakeGithub;
  const connector = new GithubConnector();
  const creds = () => ({ token: TOKEN, base_url: gh.url });

  beforeEach(async () => {
    sleeper = new VirtualSleeper();
    gh = new FakeGithub('acme/api', TOKEN, () => sleeper.now());
    await gh.tracker.start();
    for (const issue of firstApiIssues()) gh.put(issue);
    gh.put({
      number: 3,
      title: 'Vendor contract',
      state: 'open',
      updated_at: '2026-12-03T10:00:00Z',
      labels: ['blocked'],
    });
    gh.put({
      number: 4,
      title: 'Docs',
      state: 'open',
      updated_at: '2026-12-04T10:00:00Z',
      milestone_due: '2026-12-20T00:00:00Z',
    });
    gh.put({
      number: 5,
      title: 'Add endpoint',
      state: 'closed',
      updated_at: '2026-12-05T10:00:00Z',
      pull: { merged: true },
    });
  });
  afterEach(() => gh.tracker.stop());

  it('a full sync follows the Link header through every page and normalises issues and pull requests', async () => {
    const http = clientFor(connector, sleeper);
    const out = await syncOnce(connector, http, source, creds());
    expect(gh.listRequests()).toHaveLength(3);
    expect(gh.listRequests()[1].query.get('page')).toBe('2');
    expect(out.upserts.map((t) => [t.external_id, t.status])).toEqual([
      ['1', 'completed'],
      ['2', 'in_progress'],
      ['3', 'blocked'],
      ['4', 'not_started'],
      ['5', 'completed'],
    ]);
    expect(out.upserts[3]).toMatchObject({
      source: 'github:acme/api',
      title: 'Docs',
      due: '2026-12-20T00:00:00Z',
      url: 'https://github.com/acme/api/issues/4',
      assignee: null,
      labels: [],
    });
    expect(out.upserts[1].assignee).toBe('ana');
    expect(gh.listRequests()[0].headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(out.cursor.since).toBe('2026-12-05T10:00:00Z');
  });

  it('the status map of the project wins over the defaults', async () => {
    const http = clientFor(connector, sleeper);
    const out = await syncOnce(connector, http, source, creds(), null, {
      blocked: 'in_progress',
      merged: 'blocked',
    });
    expect(out.upserts.find((t) => t.external_id === '3')?.status).toBe('in_progress');
    expect(out.upserts.find((t) => t.external_id === '5')?.status).toBe('blocked');
  });

  it('an incremental sync asks with since= and gets only the changed items; unchanged answers are 304s', async () => {
    const http = clientFor(connector, sleeper);
    const full = await syncOnce(connector, http, source, creds());
    gh.put({ number: 2, title: 'Build API', state: 'closed', updated_at: '2026-12-06T09:00:00Z' });
    const before = gh.listRequests().length;
    const inc = await syncOnce(connector, http, source, creds(), full.cursor);
    expect(gh.listRequests()[before].query.get('since')).toBe('2026-12-05T10:00:00Z');
    expect(inc.upserts.map((t) => [t.external_id, t.status])).toEqual([['2', 'completed']]);

    // Nothing new: the item at the boundary of `since` is not reported again...
    const again = await syncOnce(connector, http, source, creds(), inc.cursor);
    expect(again.upserts).toEqual([]);
    // ...and the same query next time is a conditional one, answered 304.
    const remaining = gh.remaining;
    const third = await syncOnce(connector, http, source, creds(), again.cursor);
    expect(third.upserts).toEqual([]);
    expect(http.stats.not_modified).toBe(1);
    expect(gh.listRequests().at(-1)?.headers['if-none-match']).toMatch(/^W\/"/);
    expect(gh.remaining).toBe(remaining); // a 304 costs nothing
    expect(third.cursor).toEqual(again.cursor);
  });

  it('waits for the announced reset when the rate limit is exhausted, then goes on', async () => {
    const http = clientFor(connector, sleeper);
    gh.remaining = 0;
    gh.resetAt = Math.floor(sleeper.now() / 1000) + 3600;
    const out = await syncOnce(connector, http, source, creds());
    expect(out.upserts).toHaveLength(5);
    expect(http.stats.rate_limit_waits).toBe(1);
    expect(sleeper.slept).toEqual([3_600_000]);
    // One refused call, then the pages: never more calls while the limit was out.
    expect(gh.listRequests().length).toBe(4);
  });

  it('does not call again before the reset once an answer said none are left', async () => {
    const http = clientFor(connector, sleeper);
    gh.limit = 2;
    gh.remaining = 2;
    gh.resetAt = Math.floor(sleeper.now() / 1000) + 600;
    await syncOnce(connector, http, source, creds());
    expect(sleeper.slept).toEqual([600_000]);
    expect(gh.tracker.requests.filter((r) => r.headers.authorization).length).toBe(3);
    expect(http.stats.remaining).toBe(1);
  });

  it('retries a 502 and an answer slower than the timeout, then succeeds', async () => {
    const http = clientFor(connector, sleeper, { timeoutMs: 200 });
    gh.tracker.failNext(502);
    gh.tracker.delayNext(600);
    const out = await syncOnce(connector, http, source, creds());
    expect(out.upserts).toHaveLength(5);
    expect(http.stats.requests).toBe(5);
  });

  it('gives up with CONNECTOR_TIMEOUT after the retries, and the breaker opens after repeated failures', async () => {
    const http = clientFor(connector, sleeper, { timeoutMs: 100 });
    for (let i = 0; i < 3; i++) gh.tracker.delayNext(300);
    await expect(syncOnce(connector, http, source, creds())).rejects.toMatchObject({
      code: 'CONNECTOR_TIMEOUT',
    });
    for (let i = 0; i < 6; i++) gh.tracker.failNext(503);
    await expect(syncOnce(connector, http, source, creds())).rejects.toMatchObject({
      code: 'CONNECTOR_HTTP',
      status: 503,
    });
    await expect(syncOnce(connector, http, source, creds())).rejects.toMatchObject({
      code: 'CONNECTOR_HTTP',
      status: 503,
    });
    const calls = gh.tracker.requests.length;
    await expect(syncOnce(connector, http, source, creds())).rejects.toMatchObject({
      code: 'CONNECTOR_CIRCUIT_OPEN',
    });
    expect(http.circuitOpen).toBe(true);
    expect(gh.tracker.requests.length).toBe(calls); // an open breaker makes no call
  });

  it('a wrong token is a 401 error that says what to fix and never shows the token', async () => {
    const http = clientFor(connector, sleeper);
    const err = await syncOnce(connector, http, source, {
      token: 'wrong-token-value',
      base_url: gh.url,
    }).catch((e) => e);
    expect(err).toBeInstanceOf(ProjectsError);
    expect(err).toMatchObject({ code: 'CONNECTOR_HTTP', status: 401 });
    expect(err.message).toMatch(/integrations/);
    expect(err.message).not.toContain('wrong-token-value');
  });

  it('never follows a Link to another origin with the token; a repo with . or .. parts is refused', async () => {
    const elsewhere = await new FakeTracker(() => ({ status: 200, body: [] })).start();
    try {
      gh.linkBase = elsewhere.url;
      const http = clientFor(connector, sleeper);
      const err = await syncOnce(connector, http, source, creds()).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'CONNECTOR_HTTP' });
      expect((err as Error).message).toContain('another origin');
      expect(elsewhere.requests).toHaveLength(0);
      expect(gh.listRequests()).toHaveLength(1);
    } finally {
      await elsewhere.stop();
    }
    expect(connector.validate({ repo: '../..' })).toMatch(/owner\/name/);
    expect(connector.validate({ repo: 'acme/..' })).toMatch(/owner\/name/);
    expect(connector.validate({ repo: './api' })).toMatch(/owner\/name/);
    expect(connector.validate({ repo: 'acme/api.js' })).toBeNull();
    expect(connector.validate({ repo: 'acme/.github' })).toBeNull();
  });

  it('maps issues and pull_request webhook payloads onto the matching source', () => {
    const change = connector.fromWebhook('issues', {
      action: 'closed',
      repository: { full_name: 'Acme/API' },
      issue: {
        number: 2,
        title: 'Build API',
        state: 'closed',
        updated_at: '2026-12-06T00:00:00Z',
        labels: [],
      },
    });
    expect(change?.matches(source)).toBe(true);
    expect(change?.matches({ kind: 'github', settings: { repo: 'acme/other' } })).toBe(false);
    expect(change?.task?.(source, {})).toMatchObject({ external_id: '2', status: 'completed' });
    const pr = connector.fromWebhook('pull_request', {
      action: 'opened',
      repository: { full_name: 'acme/api' },
      pull_request: {
        number: 9,
        title: 'WIP',
        state: 'open',
        updated_at: '2026-12-06T00:00:00Z',
        merged_at: null,
      },
    });
    expect(pr?.task?.(source, {})).toMatchObject({ external_id: '9', status: 'in_progress' });
    expect(connector.fromWebhook('push', {})).toBeNull();
  });
});
