import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { request, startTestApp, type TestApp } from './support/test-app';
import { defineApiSuite } from './support/api-suite';
import { startPostgres, type PostgresServer } from './support/postgres-server';
import { startRedisServer, type RedisServer } from './support/redis-server';

// The foundation's API cases, unchanged, on the Redis Streams transport (real redis-server).
let redis: RedisServer;
// Replicas on Redis share the postgres state store (sqlite is refused with redis).
let postgres: PostgresServer;
const prefix = `api${randomBytes(3).toString('hex')}:`;
beforeAll(async () => {
  [redis, postgres] = await Promise.all([startRedisServer(), startPostgres()]);
}, 60000);
afterAll(() => Promise.all([redis?.stop(), postgres?.stop()]));

defineApiSuite('redis', () => ({
  broker: { transport: 'redis', redis: { url: redis.url, stream_prefix: prefix } },
  state: { backend: 'postgres', postgres: { url: postgres.url } },
}));

describe('the service on the Redis transport', () => {
  let t: TestApp;
  let admin: Redis;
  beforeAll(async () => {
    t = await startTestApp({
      env: {
        MIRA_BROKER__TRANSPORT: 'redis',
        MIRA_BROKER__REDIS__URL: redis.url,
        MIRA_STATE__BACKEND: 'postgres',
        MIRA_STATE__POSTGRES__URL: postgres.url,
      },
    });
    admin = new Redis(redis.url);
  });
  afterAll(async () => {
    admin?.disconnect();
    await t?.close();
  });

  it('is selected by the env form alone and reports Redis on /healthz', async () => {
    const res = await request(`${t.url}/healthz`);
    expect(res.status).toBe(200);
    expect(res.body.checks.broker).toMatchObject({ status: 'healthy', transport: 'redis', connected: true });
    // The orchestrator's consumer group exists on the streams of its routed types.
    const groups = (await admin.xinfo('GROUPS', 'mira:generate_plan')) as unknown[][];
    expect(groups.map((g) => g[g.indexOf('name') + 1])).toContain('orchestrator');
  });

  it('readiness fails while Redis is unreachable and recovers after', async () => {
    await redis.down();
    try {
      const ready = await request(`${t.url}/healthz/ready`);
      expect(ready.status).toBe(503);
      const health = await request(`${t.url}/healthz`);
      expect(health.body.checks.broker).toMatchObject({ status: 'unhealthy', connected: false });
      expect(JSON.stringify(health.body)).not.toMatch(/password/);
      const publish = await request(`${t.url}/api/v1/events`, { body: { type: 'generate_plan', data: {} } });
      expect(publish.status).toBe(503);
      expect(publish.body).toMatchObject({ code: 'BROKER_UNAVAILABLE' });
    } finally {
      await redis.restart();
    }
    const deadline = Date.now() + 20000;
    for (;;) {
      const ready = await request(`${t.url}/healthz/ready`);
      if (ready.status === 200) break;
      if (Date.now() > deadline) throw new Error(`readiness did not recover: ${ready.text}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  });
});
