import { createHmac } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { Redis } from 'ioredis';
import { MESSAGE_BROKER, RedisTransport, redisTransportOptions, type MessageBroker } from '@mira/broker';
import { miraConfigSchema } from '@mira/config';
import { startPostgres, type PostgresServer } from './support/postgres-server';
import { startRedisServer, type RedisServer } from './support/redis-server';
import { request, startTestApp, type TestApp } from './support/test-app';
import { until } from './support/poll';

// Issue 16, items 2, 3, 4 and 7: the real app on a real redis-server that the test kills,
// restarts, pauses or attacks through the public API.

// Replicas on Redis share a postgres state store (sqlite is refused with redis): one server for the file.
let postgres: PostgresServer;
beforeAll(async () => {
  postgres = await startPostgres();
}, 60000);
afterAll(() => postgres?.stop());

const redisBroker = (url: string, extra: Record<string, unknown> = {}) => ({
  broker: { transport: 'redis', redis: { url, ...extra } },
  state: { backend: 'postgres', postgres: { url: postgres.url } },
});

/**
 * POSTs events of `type` from `workers` concurrent clients until stop() and remembers which
 * were accepted (202) with the id they were given.
 */
function publisher(url: string, type: string, data: (n: number) => Record<string, unknown>, workers = 4) {
  const accepted = new Map<number, string>();
  const acceptedAt = new Map<number, number>();
  let refused = 0;
  let next = 0;
  let running = true;
  const loops = Array.from({ length: workers }, async () => {
    while (running) {
      const n = next++;
      const res = await request(`${url}/api/v1/events`, { body: { type, data: data(n) } }).catch(() => null);
      if (res?.status === 202) {
        accepted.set(n, res.body.id as string);
        acceptedAt.set(n, Date.now());
      } else {
        refused++;
        await new Promise((r) => setTimeout(r, 20)); // a refusing server is not hammered
      }
    }
  });
  return {
    accepted,
    acceptedAt,
    get refused() {
      return refused;
    },
    async stop() {
      running = false;
      await Promise.all(loops);
    },
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(() => {
  // Connection-loss warnings are the point of these tests; errors still show.
  Logger.overrideLogger(['error']);
});

describe('item 2: Redis restarted without persistence', () => {
  let redis: RedisServer;
  let t: TestApp;
  beforeAll(async () => {
    redis = await startRedisServer();
    t = await startTestApp({ overrides: redisBroker(redis.url) });
  });
  afterAll(async () => {
    await t?.close();
    await redis?.stop();
  });

  it('processes every event accepted before and after the restart (groups recreated without skipping)', async () => {
    const seen = new Set<number>();
    const broker = t.app.get<MessageBroker>(MESSAGE_BROKER);
    await broker.subscribe<{ n: number }>('fault.probe', (m) => void seen.add(m.data.n), { group: 'probe' });
    const pub = publisher(t.url, 'fault.probe', (n) => ({ n }));
    await until(() => pub.accepted.size >= 100, 'events accepted before the restart', 20000);
    await redis.down('SIGKILL'); // comes back empty: streams and groups are gone
    // Down long enough for the connections' reconnect backoffs to drift apart, as in production.
    await sleep(3000);
    await redis.restart();
    const restartedAt = Date.now();
    const before = pub.accepted.size;
    await until(() => pub.accepted.size >= before + 300, 'events accepted after the restart', 30000);
    await pub.stop();
    // Events accepted before the kill went with Redis' memory (no persistence); every one
    // accepted after the restart must be processed: nothing skipped by a recreated group.
    const mustArrive = [...pub.acceptedAt].filter(([, at]) => at > restartedAt).map(([n]) => n);
    await until(async () => (await request(`${t.url}/healthz/ready`)).status === 200, 'ready');
    await until(() => mustArrive.every((n) => seen.has(n)), 'processing to settle', 20000).catch(
      () => undefined,
    );
    const lost = mustArrive.filter((n) => !seen.has(n));
    console.log(
      `item 2: accepted ${pub.accepted.size} (${mustArrive.length} after the restart), lost after the restart ${lost.length}`,
    );
    expect({ lost: lost.length }).toEqual({ lost: 0 });
  }, 90000);
});

describe('item 2: a consumer group that vanished (transport)', () => {
  let redis: RedisServer;
  let admin: Redis;
  let t: RedisTransport;
  beforeAll(async () => {
    redis = await startRedisServer();
    admin = new Redis(redis.url);
    const config = miraConfigSchema.parse({ broker: { redis: { url: redis.url, stream_prefix: 'gone:' } } });
    // A long block: the reader sits in XREADGROUP while the stream is deleted under it.
    t = new RedisTransport({ ...redisTransportOptions(config.broker), blockMs: 10000 });
    await t.start();
  });
  afterAll(async () => {
    await t?.stop();
    admin?.disconnect();
    await redis?.stop();
  });

  it('is unhealthy while its group is missing, then recreates it at 0 and delivers what was published meanwhile', async () => {
    const got: unknown[] = [];
    await t.subscribe('miss', (m) => void got.push(m.data), { group: 'g' });
    await t.publish('miss', { n: 1 });
    await until(() => got.length === 1, 'first delivery');
    await admin.del('gone:miss'); // what a restart without persistence does to the stream and group
    const h = await t.health();
    expect(h.status).toBe('unhealthy');
    expect(h.reason).toMatch(/missing/);
    // A publish recreates the stream before the group exists: it must not be skipped.
    await t.publish('miss', { n: 2 });
    await until(() => got.length === 2, 'the entry published before the group was recreated');
    expect(got).toEqual([{ n: 1 }, { n: 2 }]);
    await until(async () => (await t.health()).status === 'healthy', 'healthy again');
  });
});

describe('item 3: a short outage of Redis with AOF', () => {
  let redis: RedisServer;
  let t: TestApp;
  let admin: Redis;
  beforeAll(async () => {
    redis = await startRedisServer({ aof: true });
    t = await startTestApp({ overrides: redisBroker(redis.url, { command_timeout_ms: 300 }) });
    admin = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    admin.on('error', () => undefined);
  });
  afterAll(async () => {
    admin?.disconnect();
    await t?.close();
    await redis?.stop();
  });

  it('dead-letters no valid in-flight message and answers every accepted event', async () => {
    const pub = publisher(t.url, 'generate_plan', (n) => ({ name: `p${n}`, goals: ['a', 'b'] }));
    await until(() => pub.accepted.size >= 100, 'events accepted before the outage', 20000);
    await redis.down('SIGKILL');
    await sleep(3000); // the orchestrator's answers (agent.response) cannot be published meanwhile
    await redis.restart();
    const after = pub.accepted.size;
    await until(() => pub.accepted.size >= after + 100, 'events accepted after the outage', 30000);
    await pub.stop();
    const ids = new Set(pub.accepted.values());
    const answered = async () => {
      const rows = (await admin.xrange('mira:agent.response', '-', '+')) as [string, string[]][];
      const got = new Set<string>();
      for (const [, f] of rows) got.add(JSON.parse(f[f.indexOf('d') + 1]).message_id);
      return got;
    };
    let got = new Set<string>();
    await until(
      async () => {
        got = await answered();
        return [...ids].every((id) => got.has(id));
      },
      'every accepted event answered',
      30000,
    ).catch(() => undefined);
    const dead = await admin.xlen('mira:dead-letter');
    const unanswered = [...ids].filter((id) => !got.has(id)).length;
    console.log(
      `item 3: accepted ${ids.size}, refused during the outage ${pub.refused}, dead-lettered ${dead}, unanswered ${unanswered}`,
    );
    expect({ dead, unanswered }).toEqual({ dead: 0, unanswered: 0 });
  }, 90000);

  it('a publish whose fate is unknown says so (503 BROKER_PUBLISH_UNCONFIRMED), and a retry with its key stores it once', async () => {
    // The previous test's backlog finished first: its answers, paused too, would time out on the
    // shared connection and make it reconnect, and the publish below would then never be sent.
    const broker = t.app.get<MessageBroker>(MESSAGE_BROKER);
    await until(
      () => broker.stats().in_flight === 0 && broker.stats().queued === 0,
      'the backlog to drain',
      30000,
    );
    // The command connection is up: a publish while it still reconnects (a loaded machine) is
    // refused outright (BROKER_UNAVAILABLE) instead of being sent and left unanswered.
    await until(async () => {
      const r = await request(`${t.url}/api/v1/events`, { body: { type: 'fault.warm', data: {} } });
      return r.status === 202 ? r : null;
    }, 'a publish to be accepted');
    await admin.call('CLIENT', 'PAUSE', '3000', 'WRITE'); // XADD is sent but not answered
    const key = 'retry-me-1';
    const body = { type: 'fault.once', data: { x: 1 } };
    const first = await request(`${t.url}/api/v1/events`, { body, headers: { 'idempotency-key': key } });
    await admin.call('CLIENT', 'UNPAUSE');
    expect(first.status).toBe(503);
    expect(first.body.code).toBe('BROKER_PUBLISH_UNCONFIRMED');
    expect(first.body.message).toMatch(/MAY have been stored/);
    expect(first.body.message).toContain(key);
    // Retrying as told, once the connection is back: one entry in the stream whatever happened.
    const retry = await until(async () => {
      const r = await request(`${t.url}/api/v1/events`, { body, headers: { 'idempotency-key': key } });
      return r.status === 202 ? r : null;
    }, 'the retry to be accepted');
    const again = await request(`${t.url}/api/v1/events`, { body, headers: { 'idempotency-key': key } });
    expect(again.status).toBe(202);
    expect(again.body.id).toBe(retry.body.id);
    expect(await admin.xlen('mira:fault.once')).toBe(1);
    const bad = await request(`${t.url}/api/v1/events`, {
      body,
      headers: { 'idempotency-key': 'has space' },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toContain('Idempotency-Key');
  }, 30000);
});

describe('item 4: the rate limiter while Redis is down', () => {
  let redis: RedisServer;
  let t: TestApp;
  beforeAll(async () => {
    redis = await startRedisServer();
    t = await startTestApp({
      overrides: {
        ...redisBroker(redis.url),
        api: { keys: ['k'], rate_limit: { limit: 5, window_ms: 60000 } },
      },
    });
  });
  afterAll(async () => {
    await t?.close();
    await redis?.stop();
  });

  it('answers /api without waiting on Redis and still limits locally', async () => {
    const get = () => request(`${t.url}/api/v1/agents`, { headers: { 'x-api-key': 'k' } });
    expect((await get()).status).toBe(200);
    await redis.down('SIGKILL');
    try {
      const times: number[] = [];
      const statuses: number[] = [];
      for (let i = 0; i < 12; i++) {
        const started = performance.now();
        statuses.push((await get()).status);
        times.push(performance.now() - started);
      }
      const sorted = [...times].sort((a, b) => a - b);
      console.log(
        `item 4: GET /api/v1/agents while Redis is down: p50 ${sorted[6].toFixed(1)} ms, max ${sorted[11].toFixed(1)} ms; statuses ${statuses.join(',')}`,
      );
      // A functional bound (no request waits on Redis), generous for a busy 2-core machine.
      expect(sorted[11]).toBeLessThan(500);
      // The local limit applies: 5 per window in this process, then 429.
      expect(statuses.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
      expect(statuses.slice(5).every((s) => s === 429)).toBe(true);
    } finally {
      await redis.restart();
    }
  }, 60000);
});

describe('item 7: event types cannot reach broker-owned keys', () => {
  const secret = 'gh-faults-secret';
  let redis: RedisServer;
  let t: TestApp;
  beforeAll(async () => {
    redis = await startRedisServer();
    t = await startTestApp({
      overrides: {
        ...redisBroker(redis.url),
        api: { webhook_rate_limit: { enabled: false } },
        webhooks: { github: { secret } },
      },
    });
  });
  afterAll(async () => {
    await t?.close();
    await redis?.stop();
  });

  it('refuses idempotency:/throttle: types with a 400 naming the field; the genuine delivery is still published', async () => {
    const delivery = 'f00d-7777';
    const received: unknown[] = [];
    const broker = t.app.get<MessageBroker>(MESSAGE_BROKER);
    await broker.subscribe('webhook.github', (m) => void received.push(m.data));
    for (const type of [`idempotency:github:${delivery}`, 'throttle:default:x', 'bad type', 'a:b']) {
      const res = await request(`${t.url}/api/v1/events`, { body: { type, data: {} } });
      expect({ type, status: res.status }).toEqual({ type, status: 400 });
      expect(JSON.stringify(res.body.message)).toContain('type');
    }
    // The crafted event did not take the delivery id: GitHub's signed delivery is published.
    const raw = JSON.stringify({ zen: 'Keep it logically awesome.' });
    const res = await request(`${t.url}/webhooks/github`, {
      raw,
      headers: {
        'content-type': 'application/json',
        'x-hub-signature-256': `sha256=${createHmac('sha256', secret).update(raw).digest('hex')}`,
        'x-github-delivery': delivery,
        'x-github-event': 'ping',
      },
    });
    expect(res.status).toBe(202);
    expect(res.body.duplicate).toBeUndefined();
    await until(() => received.length === 1, 'webhook.github published');
    // Below the API too: the broker itself refuses a type that would name another key space.
    await expect(broker.publish('idempotency:github:x', {})).rejects.toMatchObject({
      code: 'BROKER_INVALID_MESSAGE',
    });
    await expect(broker.subscribe('throttle:x', () => undefined)).rejects.toMatchObject({
      code: 'BROKER_INVALID_MESSAGE',
    });
  });
});
