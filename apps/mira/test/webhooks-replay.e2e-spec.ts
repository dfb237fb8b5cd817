import { createHash, createHmac, randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { MESSAGE_BROKER, type MessageBroker } from '@mira/broker';
import { WEBHOOK_DEDUPLICATOR, type DeliveryDeduplicator, type WebhookEvent } from '@mira/webhooks';
import { startPostgres, type PostgresServer } from './support/postgres-server';
import { startRedisServer, type RedisServer } from './support/redis-server';
import { request, startTestApp, type TestApp } from './support/test-app';

// Issue 25 item 5: a GitHub or Jira delivery needs its delivery id header, and the same signed
// bytes under a new delivery id are a replay (service + body digest), with the memory and the
// Redis de-duplicator alike. Real app over HTTP; Redis is a real redis-server.

const GH = `gh-replay-${randomBytes(4).toString('hex')}`;
const JIRA = `jira-replay-${randomBytes(4).toString('hex')}`;
const sign = (secret: string, raw: string) =>
  `sha256=${createHmac('sha256', secret).update(raw).digest('hex')}`;

const github = (url: string, raw: string, id: string | null) =>
  request(`${url}/webhooks/github`, {
    raw,
    headers: {
      'content-type': 'application/json',
      'x-hub-signature-256': sign(GH, raw),
      'x-github-event': 'push',
      ...(id === null ? {} : { 'x-github-delivery': id }),
    },
  });
const jira = (url: string, raw: string, id: string | null) =>
  request(`${url}/webhooks/jira`, {
    raw,
    headers: {
      'content-type': 'application/json',
      'x-hub-signature': sign(JIRA, raw),
      ...(id === null ? {} : { 'x-atlassian-webhook-identifier': id }),
    },
  });

/** The cases every de-duplicator must pass; `published` counts webhook.github messages seen. */
function replayCases(ctx: () => { t: TestApp; published: () => number; kind: string }) {
  it('uses the expected de-duplicator', () => {
    const { t, kind } = ctx();
    expect(t.app.get<DeliveryDeduplicator>(WEBHOOK_DEDUPLICATOR).kind).toBe(kind);
  });

  it('refuses a GitHub or Jira delivery without its delivery id header with a 400 naming it', async () => {
    const { t } = ctx();
    const raw = JSON.stringify({ ref: 'refs/heads/main', n: randomBytes(4).toString('hex') });
    const gh = await github(t.url, raw, null);
    expect(gh.status).toBe(400);
    expect(gh.body.message).toContain('X-GitHub-Delivery');
    const j = await jira(t.url, JSON.stringify({ webhookEvent: 'jira:issue_updated' }), null);
    expect(j.status).toBe(400);
    expect(j.body.message).toContain('X-Atlassian-Webhook-Identifier');
    // Refused before any claim: the same body with its header is still accepted.
    expect((await github(t.url, raw, `d-${randomBytes(4).toString('hex')}`)).status).toBe(202);
  });

  it('treats the same signed body under a new delivery id as a duplicate, published once', async () => {
    const { t, published } = ctx();
    const raw = JSON.stringify({ ref: 'refs/heads/main', after: randomBytes(20).toString('hex') });
    const before = published();
    const first = await github(t.url, raw, `d-${randomBytes(4).toString('hex')}`);
    expect(first.status).toBe(202);
    const newId = `d-${randomBytes(4).toString('hex')}`;
    const replay = await github(t.url, raw, newId);
    expect(replay.status).toBe(200);
    expect(replay.body).toMatchObject({ status: 'accepted', delivery_id: newId, duplicate: true });
    // Another body with that new id is a delivery of its own (the replay did not claim the id).
    const other = JSON.stringify({ ref: 'refs/heads/dev', after: randomBytes(20).toString('hex') });
    expect((await github(t.url, other, newId)).status).toBe(202);
    await new Promise((r) => setTimeout(r, 200));
    expect(published() - before).toBe(2);
  });

  it('parses the body with the prototype-safe parser: a __proto__ key is a 400', async () => {
    const { t } = ctx();
    const raw = '{"a":1,"__proto__":{"admin":true}}';
    const res = await github(t.url, raw, `d-${randomBytes(4).toString('hex')}`);
    expect(res.status).toBe(400);
    expect(res.body.message).toContain('__proto__');
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
    // The same key spelled with JSON escapes is the same key once parsed.
    const escaped = '{"a":2,"\\u005f_proto__":{"admin":true}}';
    expect((await github(t.url, escaped, `d-${randomBytes(4).toString('hex')}`)).status).toBe(400);
    const ctor = '{"c\\u006fnstructor":{"prototype":{"admin":true}}}';
    expect((await github(t.url, ctor, `d-${randomBytes(4).toString('hex')}`)).status).toBe(400);
    // A form body without `payload` becomes an object of its fields: scanned the same way.
    const form = '__proto__=x&a=1';
    const formed = await request(`${t.url}/webhooks/github`, {
      raw: form,
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-hub-signature-256': sign(GH, form),
        'x-github-event': 'push',
        'x-github-delivery': `d-${randomBytes(4).toString('hex')}`,
      },
    });
    expect(formed.status).toBe(400);
  });
}

const webhooks = { github: { secret: GH }, jira: { secret: JIRA } };

describe('webhook replays, memory de-duplicator', () => {
  let t: TestApp;
  let count = 0;
  beforeAll(async () => {
    t = await startTestApp({ overrides: { webhooks, api: { webhook_rate_limit: { enabled: false } } } });
    await t.app.get<MessageBroker>(MESSAGE_BROKER).subscribe<WebhookEvent>(['webhook.github'], () => {
      count++;
    });
  });
  afterAll(() => t?.close());
  replayCases(() => ({ t, published: () => count, kind: 'memory' }));

  it('with replay_window_seconds: 0 the body is not remembered (delivery ids still are)', async () => {
    const u = await startTestApp({
      overrides: { webhooks: { github: { secret: GH, replay_window_seconds: 0 } } },
    });
    try {
      const raw = JSON.stringify({ zen: 'same bytes' });
      expect((await github(u.url, raw, 'w-1')).status).toBe(202);
      expect((await github(u.url, raw, 'w-2')).status).toBe(202);
      expect((await github(u.url, raw, 'w-2')).status).toBe(200);
    } finally {
      await u.close();
    }
  });
});

describe('webhook replays, Redis de-duplicator (real redis-server)', () => {
  let redis: RedisServer;
  let postgres: PostgresServer;
  let admin: Redis;
  let t: TestApp;
  let count = 0;
  const prefix = `replay${randomBytes(3).toString('hex')}:`;
  beforeAll(async () => {
    // A Redis broker needs a shared state store (config check): PostgreSQL, also real.
    [redis, postgres] = await Promise.all([startRedisServer(), startPostgres()]);
    t = await startTestApp({
      overrides: {
        broker: { transport: 'redis', redis: { url: redis.url, stream_prefix: prefix } },
        state: { backend: 'postgres', postgres: { url: postgres.url } },
        api: { webhook_rate_limit: { enabled: false } },
        webhooks,
      },
    });
    admin = new Redis(redis.url);
    await t.app.get<MessageBroker>(MESSAGE_BROKER).subscribe<WebhookEvent>(['webhook.github'], () => {
      count++;
    });
  }, 60000);
  afterAll(async () => {
    admin?.disconnect();
    await t?.close();
    await Promise.all([redis?.stop(), postgres?.stop()]);
  });
  replayCases(() => ({ t, published: () => count, kind: 'redis' }));

  it('keeps the body digest in Redis for the replay window, beside the delivery id', async () => {
    const raw = JSON.stringify({ zen: randomBytes(8).toString('hex') });
    expect((await github(t.url, raw, 'kept-1')).status).toBe(202);
    const digest = createHash('sha256').update(raw).digest('hex');
    expect(await admin.exists(`${prefix}idempotency:github#sha256:${digest}`)).toBe(1);
    expect(await admin.pttl(`${prefix}idempotency:github#sha256:${digest}`)).toBeGreaterThan(60_000);
    expect(await admin.exists(`${prefix}idempotency:github:kept-1`)).toBe(1);
  });
});
