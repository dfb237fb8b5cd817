import { randomBytes } from 'node:crypto';
import { ShutdownService } from '@mira/shutdown';
import { startPostgres, type PostgresServer } from './support/postgres-server';
import { startRedisServer, type RedisServer } from './support/redis-server';
import { until } from './support/poll';
import { openSse, type SseStream } from './support/sse-client';
import { request, startTestApp, type TestApp } from './support/test-app';

const KEYS = {
  alice: 'alice-key-0123456789abcdef',
  dave: 'dave-key-0123456789abcdef',
  bob: 'bob-key-0123456789abcdef',
  carol: 'carol-key-0123456789abcdef',
  audrey: 'audrey-key-0123456789abcdef',
};
const apiKeys = [
  { name: 'alice', key: KEYS.alice, roles: ['submitter'] },
  { name: 'dave', key: KEYS.dave, roles: ['submitter'] },
  { name: 'bob', key: KEYS.bob, roles: ['approver'] },
  { name: 'carol', key: KEYS.carol, roles: ['approver'] },
  { name: 'audrey', key: KEYS.audrey, roles: ['auditor'] },
];
const as = (who: keyof typeof KEYS) => ({ authorization: `Bearer ${KEYS[who]}` });
// Held whatever the default policy: high compliance and a big spend require approval.
const held = { financial_impact: 250000, compliance_level: 'high' };

// Two replicas on one PostgreSQL and one Redis: an event on either reaches streams on both.
describe('GET /api/v1/workflows/stream (two replicas, PostgreSQL + Redis)', () => {
  let redis: RedisServer;
  let postgres: PostgresServer;
  let a: TestApp;
  let b: TestApp;
  const open: SseStream[] = [];

  beforeAll(async () => {
    [redis, postgres] = await Promise.all([startRedisServer(), startPostgres()]);
    const prefix = `sse${randomBytes(3).toString('hex')}:`;
    const overrides = (maxClients: number) => ({
      api: { keys: apiKeys, stream: { max_clients: maxClients, heartbeat_seconds: 1, replay_events: 50 } },
      broker: { transport: 'redis', redis: { url: redis.url, stream_prefix: prefix } },
      state: { backend: 'postgres', postgres: { url: postgres.url } },
      governance: { approvals_required: { high: 2 } },
    });
    a = await startTestApp({ overrides: overrides(50) });
    b = await startTestApp({ overrides: overrides(3) });
  }, 90000);
  afterEach(() => open.splice(0).forEach((s) => s.close()));
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await Promise.all([redis?.stop(), postgres?.stop()]);
  });

  const stream = async (
    app: TestApp,
    who: keyof typeof KEYS,
    query = '',
    headers: Record<string, string> = {},
  ) => {
    const s = await openSse(`${app.url}/api/v1/workflows/stream${query}`, { ...as(who), ...headers });
    open.push(s);
    return s;
  };
  const submit = async (who: keyof typeof KEYS, name: string, type = 'project_initialization') => {
    const res = await request(`${a.url}/api/v1/workflows`, {
      body: { workflow_type: type, data: { name, goals: ['One', 'Two'] }, governance_data: held },
      headers: as(who),
    });
    expect(res.status).toBe(202);
    return res.body.workflow_id as string;
  };
  const approve = (app: TestApp, id: string, who: keyof typeof KEYS) =>
    request(`${app.url}/api/v1/workflows/${id}/approve`, { body: { comment: 'fine' }, headers: as(who) });

  it('sends workflow.created, then workflow.decided and workflow.updated with "1 of 2", from the other replica', async () => {
    const s = await stream(b, 'bob');
    const id = await submit('alice', 'Apollo cutover');
    const created = await s.next((e) => e.event === 'workflow.created' && e.data.workflow_id === id);
    expect(created.data.workflow).toMatchObject({
      title: 'Apollo cutover',
      status: 'pending_approval',
      approvals: 0,
      approvals_required: 2,
      requested_by: 'key:alice',
      requested_by_name: 'alice',
    });
    expect(created.data.workflow.summary).toEqual(expect.arrayContaining([{ label: 'Goals', value: 2 }]));
    expect(created.data.workflow).not.toHaveProperty('data');
    expect((await approve(a, id, 'carol')).status).toBe(200);
    const decided = await s.next((e) => e.event === 'workflow.decided' && e.data.workflow_id === id);
    expect(decided.data.decision).toMatchObject({
      actor: 'key:carol',
      actor_name: 'carol',
      decision: 'approve',
      comment: 'fine',
    });
    const updated = await s.next((e) => e.event === 'workflow.updated' && e.data.workflow_id === id);
    expect(updated.data.workflow).toMatchObject({ status: 'pending_approval', approvals: 1 });
    expect(created.id).toMatch(/^.+-\d+$/);
  });

  it('keeps the list filters, and shows a submitter-only caller just their own requests', async () => {
    const mine = await stream(a, 'alice');
    const reviewer = await stream(a, 'audrey', '?status=pending_approval');
    const otherType = await stream(a, 'bob', '?type=some_other_type');
    const daves = await submit('dave', 'Dave project');
    const alices = await submit('alice', 'Alice project');
    await reviewer.next((e) => e.data.workflow_id === alices);
    await reviewer.next((e) => e.data.workflow_id === daves);
    await mine.next((e) => e.data.workflow_id === alices);
    // Alice's stream carried her event (after Dave's was published): Dave's never reached it.
    expect(mine.events.map((e) => e.data.workflow_id)).not.toContain(daves);
    expect(otherType.events).toEqual([]);
    expect(
      (await request(`${a.url}/api/v1/workflows/stream?status=bogus`, { headers: as('bob') })).status,
    ).toBe(400);
    expect((await request(`${a.url}/api/v1/workflows/stream`)).status).toBe(401);
  });

  it('a status filter also sees a workflow leave that status (so a filtered list can drop it)', async () => {
    const s = await stream(a, 'bob', '?status=pending_approval');
    const id = await submit('alice', 'Short lived');
    await s.next((e) => e.event === 'workflow.created' && e.data.workflow_id === id);
    const res = await request(`${b.url}/api/v1/workflows/${id}/reject`, {
      body: { comment: 'not now' },
      headers: as('carol'),
    });
    expect(res.status).toBe(200);
    const left = await s.next((e) => e.event === 'workflow.updated' && e.data.workflow_id === id);
    expect(left.data).toMatchObject({ from_status: 'pending_approval', workflow: { status: 'rejected' } });
  });

  it('resumes after Last-Event-ID with what was missed; an unknown id says stream.reset', async () => {
    const first = await stream(a, 'bob');
    // Stays connected to see when replica a has the approval (through Redis) in its ring.
    const watcher = await stream(a, 'audrey');
    const id = await submit('alice', 'Resumed');
    const created = await first.next((e) => e.event === 'workflow.created' && e.data.workflow_id === id);
    first.close();
    expect((await approve(b, id, 'carol')).status).toBe(200);
    await watcher.next((e) => e.event === 'workflow.updated' && e.data.workflow_id === id);
    const resumed = await stream(a, 'bob', '', { 'last-event-id': created.id! });
    const missed = await resumed.next((e) => e.event === 'workflow.decided' && e.data.workflow_id === id);
    expect(missed.data.decision.actor).toBe('key:carol');
    expect(resumed.events.some((e) => e.id === created.id)).toBe(false);
    const lost = await stream(a, 'bob', '', { 'last-event-id': 'another-replica-7' });
    await lost.next((e) => e.event === 'stream.reset');
  });

  it('sends heartbeats while nothing happens', async () => {
    const s = await stream(a, 'bob');
    await until(() => s.comments.some((c) => c.startsWith('heartbeat')), 'a heartbeat', 4000);
  });

  it('answers 503 beyond api.stream.max_clients on a replica, and takes a client again once one leaves', async () => {
    const held3 = await Promise.all([stream(b, 'bob'), stream(b, 'carol'), stream(b, 'audrey')]);
    expect(held3.map((s) => s.status)).toEqual([200, 200, 200]);
    const refused = await request(`${b.url}/api/v1/workflows/stream`, { headers: as('bob') });
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBeTruthy();
    expect(refused.text).toMatch(/retry in a few seconds/);
    held3[0].close();
    await until(async () => {
      const s = await stream(b, 'bob');
      return s.status === 200;
    }, 'a free stream slot');
  });

  it('answers 429 beyond the per-caller stream limit, naming it, while others still get a stream', async () => {
    const mine = await Promise.all([1, 2, 3, 4, 5].map(() => stream(a, 'audrey')));
    expect(mine.map((s) => s.status)).toEqual([200, 200, 200, 200, 200]);
    const refused = await request(`${a.url}/api/v1/workflows/stream`, { headers: as('audrey') });
    expect(refused.status).toBe(429);
    expect(refused.text).toMatch(/per-caller limit/);
    expect((await stream(a, 'bob')).status).toBe(200);
  });

  it('closes its streams when the replica shuts down', async () => {
    const s = await stream(b, 'bob');
    expect(s.status).toBe(200);
    const run = b.app.get(ShutdownService).run('test drain');
    await until(() => s.ended, 'the stream to end on shutdown');
    await run;
  });
});
