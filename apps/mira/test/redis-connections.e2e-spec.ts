import { createHmac, randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { RedisConnections } from '@mira/redis';
import { WEBHOOK_DEDUPLICATOR, type DeliveryDeduplicator } from '@mira/webhooks';
import { startPostgres, type PostgresServer } from './support/postgres-server';
import { startRedisServer, type RedisServer } from './support/redis-server';
import { request, startTestApp, type TestApp } from './support/test-app';

const SECRET = 'gh-shared-redis-secret-9d41';

/** Connection names the server sees, counted (CLIENT SETNAME by RedisConnections: `mira-<name>`). */
async function namesOnServer(admin: Redis): Promise<Record<string, number>> {
  const list = (await admin.client('LIST')) as string;
  const counts: Record<string, number> = {};
  for (const [, name] of list.matchAll(/ name=(\S+)/g)) counts[name] = (counts[name] ?? 0) + 1;
  return counts;
}

// The body names the delivery: the same bytes under a new delivery id would be a replay.
const githubDelivery = (url: string, id: string) => {
  const raw = JSON.stringify({ zen: 'Design for failure.', hook_id: id });
  return request(`${url}/webhooks/github`, {
    raw,
    headers: {
      'content-type': 'application/json',
      'x-hub-signature-256': `sha256=${createHmac('sha256', SECRET).update(raw).digest('hex')}`,
      'x-github-delivery': id,
      'x-github-event': 'ping',
    },
  });
};

describe('shared Redis connections (two replicas on one redis-server)', () => {
  let redis: RedisServer;
  let postgres: PostgresServer;
  let admin: Redis;
  let a: TestApp;
  let b: TestApp;
  const prefix = `shared${randomBytes(3).toString('hex')}:`;

  beforeAll(async () => {
    [redis, postgres] = await Promise.all([startRedisServer(), startPostgres()]);
    const overrides = {
      broker: { transport: 'redis', redis: { url: redis.url, stream_prefix: prefix } },
      state: { backend: 'postgres', postgres: { url: postgres.url } },
      webhooks: { github: { secret: SECRET } },
    };
    a = await startTestApp({ overrides });
    b = await startTestApp({ overrides });
    admin = new Redis(redis.url);
  }, 60000);
  afterAll(async () => {
    admin?.disconnect();
    await a?.close();
    await b?.close();
    await Promise.all([redis?.stop(), postgres?.stop()]);
  });

  it('gives the rate limiter and webhook de-duplication their clients from RedisConnections', async () => {
    const connections = a.app.get(RedisConnections);
    expect(connections.enabled).toBe(true);
    // Ask once so the limiter has counted at least one request through its client.
    expect((await request(`${a.url}/api/v1/agents`)).status).toBe(200);
    const clients = Object.fromEntries(connections.clients().map((c) => [c.name, c.status]));
    expect(clients).toMatchObject({ 'rate-limit': 'ready', 'webhook-dedupe': 'ready' });
    const onServer = await namesOnServer(admin);
    expect(onServer['mira-rate-limit']).toBe(2);
    expect(onServer['mira-webhook-dedupe']).toBe(2);
    expect(a.app.get<DeliveryDeduplicator>(WEBHOOK_DEDUPLICATOR).kind).toBe('redis');
  });

  it('de-duplicates a delivery across replicas, under the broker idempotency key space', async () => {
    const id = `dlv-${randomBytes(4).toString('hex')}`;
    const first = await githubDelivery(a.url, id);
    expect(first.status).toBe(202);
    const replay = await githubDelivery(b.url, id);
    expect(replay.status).toBe(200);
    expect(replay.body).toMatchObject({ status: 'accepted', delivery_id: id, duplicate: true });
    expect(await admin.exists(`${prefix}idempotency:github:${id}`)).toBe(1);
  });

  it('closes a replica’s clients when it shuts down, and only its own', async () => {
    const connections = b.app.get(RedisConnections);
    await b.close();
    b = undefined as unknown as TestApp;
    expect(connections.clients()).toEqual([]);
    const onServer = await namesOnServer(admin);
    expect(onServer['mira-rate-limit']).toBe(1);
    expect(onServer['mira-webhook-dedupe']).toBe(1);
    // The other replica still counts and de-duplicates in Redis.
    expect((await githubDelivery(a.url, `dlv-${randomBytes(4).toString('hex')}`)).status).toBe(202);
  });
});

describe('without Redis (memory broker)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ overrides: { webhooks: { github: { secret: SECRET } } } });
  });
  afterAll(() => t?.close());

  it('hands out no client and de-duplicates in memory', async () => {
    const connections = t.app.get(RedisConnections);
    expect(connections.enabled).toBe(false);
    expect((await githubDelivery(t.url, 'mem-1')).status).toBe(202);
    expect((await githubDelivery(t.url, 'mem-1')).body.duplicate).toBe(true);
    expect(connections.clients()).toEqual([]);
    expect(t.app.get<DeliveryDeduplicator>(WEBHOOK_DEDUPLICATOR).kind).toBe('memory');
  });
});
