import { JiraConnector, TrelloConnector } from '@mira/projects';
import { FakeJira, opsIssues } from './support/fake-jira';
import { FakeTrello } from './support/fake-trello';
import { VirtualSleeper, clientFor, syncOnce } from './support/connector-harness';

describe('Jira connector against a fake Jira Cloud', () => {
  const connector = new JiraConnector();
  const source = { kind: 'jira', settings: { jql: 'project = OPS ORDER BY created DESC' } };
  let jira: FakeJira;
  let sleeper: VirtualSleeper;
  const creds = () => ({ base_url: jira.url, email: 'pm@example.com', api_token: 'jira-secret-token-value' });

  beforeEach(async () => {
    sleeper = new VirtualSleeper();
    jira = new FakeJira('pm@example.com', 'jira-secret-token-value');
    await jira.tracker.start();
    for (const issue of opsIssues()) jira.put(issue.key === 'OPS-2' ? { ...issue, assignee: 'Ana' } : issue);
  });
  afterEach(() => jira.tracker.stop());

  it('a full sync pages by nextPageToken until isLast and maps status categories', async () => {
    const http = clientFor(connector, sleeper);
    const out = await syncOnce(connector, http, source, creds());
    const searches = jira.searches();
    expect(searches).toHaveLength(3);
    expect(searches[0].jql).toBe('(project = OPS) ORDER BY updated ASC');
    expect(searches[0].nextPageToken).toBeUndefined();
    expect(searches[1].nextPageToken).toEqual(expect.any(String));
    expect(out.upserts.map((t) => [t.external_id, t.status])).toEqual([
      ['OPS-1', 'completed'],
      ['OPS-2', 'in_progress'],
      ['OPS-3', 'blocked'],
      ['OPS-4', 'not_started'],
      ['OPS-5', 'in_progress'],
    ]);
    expect(out.upserts[3]).toMatchObject({
      source: 'jira',
      due: '2026-12-24',
      url: `${jira.url}/browse/OPS-4`,
    });
  });

  it('an incremental sync narrows the JQL with updated >= and gets only what changed; status_map applies', async () => {
    const http = clientFor(connector, sleeper);
    const full = await syncOnce(connector, http, source, creds());
    jira.put({
      key: 'OPS-4',
      summary: 'Ship',
      status: 'QA',
      category: 'indeterminate',
      updated: '2026-12-06T08:30:00.000Z',
    });
    const inc = await syncOnce(connector, http, source, creds(), full.cursor, { qa: 'blocked' });
    expect(jira.searches().at(-1)?.jql).toBe(
      '(project = OPS) AND updated >= "2026/12/05 09:59" ORDER BY updated ASC',
    );
    // The one-minute overlap brings OPS-5 back too: an upsert, harmless.
    expect(inc.upserts.map((t) => [t.external_id, t.status])).toEqual([
      ['OPS-5', 'blocked'],
      ['OPS-4', 'blocked'],
    ]);
  });

  it('honours Retry-After on a 429 and retries a 502', async () => {
    const http = clientFor(connector, sleeper);
    jira.throttle = { count: 1, retryAfter: 30 };
    const out = await syncOnce(connector, http, source, creds());
    expect(out.upserts).toHaveLength(5);
    expect(sleeper.slept).toEqual([30_000]);
    jira.tracker.failNext(502);
    const again = await syncOnce(connector, http, source, creds());
    expect(again.upserts).toHaveLength(5);
  });

  it('a missing credential names the key', async () => {
    const http = clientFor(connector, sleeper);
    await expect(syncOnce(connector, http, source, { base_url: jira.url, email: 'x' })).rejects.toMatchObject(
      {
        code: 'CONNECTOR_NOT_CONFIGURED',
        message: expect.stringContaining('integrations.jira.api_token'),
      },
    );
  });

  it('maps jira:issue_* webhooks onto sources whose JQL names the project', () => {
    const change = connector.fromWebhook(null, {
      webhookEvent: 'jira:issue_updated',
      issue: {
        key: 'OPS-2',
        self: 'https://acme.atlassian.net/rest/api/3/issue/10002',
        fields: {
          summary: 'Build',
          status: { name: 'Done', statusCategory: { key: 'done' } },
          updated: '2026-12-06T10:00:00.000+0000',
        },
      },
    });
    expect(change?.matches(source)).toBe(true);
    expect(change?.matches({ kind: 'jira', settings: { jql: 'project = WEB' } })).toBe(false);
    expect(change?.task?.(source, {})).toMatchObject({
      external_id: 'OPS-2',
      status: 'completed',
      url: 'https://acme.atlassian.net/browse/OPS-2',
    });
    expect(
      connector.fromWebhook(null, { webhookEvent: 'jira:issue_deleted', issue: { key: 'OPS-2' } })?.deleteId,
    ).toBe('OPS-2');
  });
});

describe('Trello connector against a fake Trello', () => {
  const connector = new TrelloConnector();
  const board = 'b0ardAbc123';
  const source = { kind: 'trello', settings: { board, lists_done: ['Shipped'] } };
  let trello: FakeTrello;
  let sleeper: VirtualSleeper;
  const creds = () => ({ base_url: trello.url, key: 'trello-key', token: 'trello-secret-token' });

  beforeEach(async () => {
    sleeper = new VirtualSleeper();
    trello = new FakeTrello(board, 'trello-key', 'trello-secret-token');
    await trello.tracker.start();
    trello.lists.set('l1', 'To Do').set('l2', 'Doing').set('l3', 'Shipped').set('l4', 'Blocked');
    trello.put({ id: 'c1', name: 'Spec', idList: 'l3', dateLastActivity: '2026-12-01T10:00:00.000Z' });
    trello.put({ id: 'c2', name: 'Build', idList: 'l2', dateLastActivity: '2026-12-02T10:00:00.000Z' });
    trello.put({ id: 'c3', name: 'Legal', idList: 'l4', dateLastActivity: '2026-12-03T10:00:00.000Z' });
    trello.put({
      id: 'c4',
      name: 'Launch',
      idList: 'l1',
      dateLastActivity: '2026-12-04T10:00:00.000Z',
      due: '2026-12-31T00:00:00.000Z',
    });
  });
  afterEach(() => trello.tracker.stop());

  it('a full sync reads every card and maps lists to statuses', async () => {
    const http = clientFor(connector, sleeper);
    const out = await syncOnce(connector, http, source, creds());
    expect(out.upserts.map((t) => [t.external_id, t.status])).toEqual([
      ['c1', 'completed'],
      ['c2', 'in_progress'],
      ['c3', 'blocked'],
      ['c4', 'not_started'],
    ]);
    expect(out.upserts[3]).toMatchObject({
      source: `trello:${board}`,
      due: '2026-12-31T00:00:00.000Z',
      url: 'https://trello.com/c/c4',
    });
    expect(out.cursor.since).toBe('2026-12-04T10:00:00.000Z');
    // Credentials travel in a header, never in a URL.
    expect(trello.tracker.requests.every((r) => !r.query.has('token') && !r.query.has('key'))).toBe(true);
  });

  it('an incremental sync asks for card actions since the last one and fetches only those cards', async () => {
    const http = clientFor(connector, sleeper);
    const full = await syncOnce(connector, http, source, creds());
    trello.put({ id: 'c2', name: 'Build', idList: 'l3', dateLastActivity: '2026-12-06T10:00:00.000Z' });
    trello.put({ id: 'c5', name: 'Retro', idList: 'l1', dateLastActivity: '2026-12-06T11:00:00.000Z' });
    const fetchesBefore = trello.cardFetches().length;
    const inc = await syncOnce(connector, http, source, creds(), full.cursor);
    const fetched = trello
      .cardFetches()
      .slice(fetchesBefore)
      .map((r) => r.path);
    expect(fetched.sort()).toEqual(['/1/cards/c2', '/1/cards/c5']);
    expect(inc.upserts.map((t) => [t.external_id, t.status]).sort()).toEqual([
      ['c2', 'completed'],
      ['c5', 'not_started'],
    ]);
    expect(trello.tracker.requests.find((r) => r.query.get('since'))?.query.get('since')).toBe(
      '2026-12-04T10:00:00.000Z',
    );
  });

  it('waits the announced interval on a 429, then goes on', async () => {
    const http = clientFor(connector, sleeper);
    trello.throttle = 1;
    const out = await syncOnce(connector, http, source, creds());
    expect(out.upserts).toHaveLength(4);
    expect(sleeper.slept).toEqual([10_000]);
  });

  it('maps updateCard and createCard webhooks', () => {
    const change = connector.fromWebhook(null, {
      action: {
        type: 'updateCard',
        date: '2026-12-06T12:00:00.000Z',
        data: { card: { id: 'c4', name: 'Launch' }, board: { id: board }, listAfter: { name: 'Shipped' } },
      },
    });
    expect(change?.matches(source)).toBe(true);
    expect(change?.task?.(source, {})).toMatchObject({
      external_id: 'c4',
      status: 'completed',
      updated_at: '2026-12-06T12:00:00.000Z',
    });
  });
});
