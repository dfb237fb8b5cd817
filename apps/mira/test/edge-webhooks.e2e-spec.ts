import { createHash } from 'node:crypto';
import { createHmac } from 'node:crypto';
import { Injectable, Module } from '@nestjs/common';
import { MESSAGE_BROKER, type BrokerMessage, type MessageBroker } from '@mira/broker';
import { ConfigStore, loadConfig } from '@mira/config';
import { MiraSignatureVerifier, signMira, WebhookProvider, type WebhookEvent } from '@mira/webhooks';
import { EdgeClock } from '../src/security';
import { request, startTestApp, type TestApp } from './support/test-app';

// GitHub's published example (docs.github.com, "Validating webhook deliveries").
const GH_SECRET = "It's a Secret to Everybody";
const GH_SIGNATURE = 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17';

/** A module adding its own service with the generic timestamped scheme. */
@Injectable()
@WebhookProvider({ service: 'acme' })
class AcmeWebhook extends MiraSignatureVerifier {}
@Module({ providers: [AcmeWebhook] })
class AcmeWebhookModule {}

const ghSign = (secret: string, body: string) =>
  `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

async function until<T>(fn: () => T | undefined, what: string, ms = 5000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const overrides = {
  api: { webhook_rate_limit: { enabled: false } },
  webhooks: {
    github: { secret: GH_SECRET, rotation_grace_seconds: 600 },
    trello: { secret: 'trello-app-secret' },
    jira: { secret: 'jira-secret' },
    acme: { secret: 'acme-secret', rotation_grace_seconds: 60 },
  },
};

describe('POST /webhooks/:service (real app)', () => {
  let t: TestApp;
  let clock: EdgeClock;
  let now: number;
  const received: BrokerMessage<WebhookEvent>[] = [];
  const post = (service: string, raw: string, headers: Record<string, string>) =>
    request(`${t.url}/webhooks/${service}`, {
      raw,
      headers: { 'content-type': 'application/json', ...headers },
    });
  /** A live reload of the running app's config with these webhooks settings. */
  const reloadWebhooks = (webhooks: Record<string, unknown>) =>
    t.app.get(ConfigStore).replace(
      loadConfig({
        file: null,
        env: {},
        overrides: { ...overrides, logging: { level: 'silent' }, webhooks },
      }),
    );

  beforeAll(async () => {
    t = await startTestApp({ overrides, imports: [AcmeWebhookModule] });
    clock = t.app.get(EdgeClock);
    now = Date.now();
    jest.spyOn(clock, 'now').mockImplementation(() => now);
    const broker = t.app.get<MessageBroker>(MESSAGE_BROKER);
    await broker.subscribe<WebhookEvent>(
      ['webhook.github', 'webhook.trello', 'webhook.jira', 'webhook.acme'],
      (m) => {
        received.push(m);
      },
    );
  });
  afterAll(() => t.close());

  it("accepts GitHub's documented example and publishes webhook.github", async () => {
    const res = await request(`${t.url}/webhooks/github`, {
      raw: 'Hello, World!',
      headers: {
        'content-type': 'text/plain',
        'x-hub-signature-256': GH_SIGNATURE,
        'x-github-delivery': 'ex-1',
        'x-github-event': 'ping',
      },
    });
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ status: 'accepted', service: 'github', delivery_id: 'ex-1' });
    const msg = await until(() => received.find((m) => m.data.delivery_id === 'ex-1'), 'webhook.github');
    expect(msg.type).toBe('webhook.github');
    expect(msg.data).toMatchObject({ service: 'github', event: 'ping', payload: 'Hello, World!' });
  });

  it('parses a verified JSON body and rejects tampered, wrong-key, missing and malformed signatures with 401', async () => {
    const body = '{"zen":"Keep it logically awesome.","hook_id":1}';
    const ok = await post('github', body, {
      'x-hub-signature-256': ghSign(GH_SECRET, body),
      'x-github-delivery': 'json-1',
    });
    expect(ok.status).toBe(202);
    const msg = await until(() => received.find((m) => m.data.delivery_id === 'json-1'), 'json delivery');
    expect(msg.data.payload).toEqual({ zen: 'Keep it logically awesome.', hook_id: 1 });

    const tampered = await post('github', body.replace('1}', '2}'), {
      'x-hub-signature-256': ghSign(GH_SECRET, body),
    });
    const wrongKey = await post('github', body, { 'x-hub-signature-256': ghSign('not the secret', body) });
    const missing = await post('github', body, {});
    const malformed = await post('github', body, { 'x-hub-signature-256': 'sha256=xyz' });
    for (const r of [tampered, wrongKey, missing, malformed]) {
      expect(r.status).toBe(401);
      expect(r.text).not.toContain(GH_SECRET);
      expect(r.text).not.toMatch(/stack|at \w+ \(/);
    }
    expect(missing.body.message).toContain('x-hub-signature-256');
    expect(wrongKey.body.message).toBe('Invalid webhook signature');
  });

  it('verifies before parsing: invalid JSON with a bad signature is 401, with a good one 400', async () => {
    expect(
      (await post('github', '{not json', { 'x-hub-signature-256': ghSign('x', '{not json') })).status,
    ).toBe(401);
    expect(
      (await post('github', '{not json', { 'x-hub-signature-256': ghSign(GH_SECRET, '{not json') })).status,
    ).toBe(400);
  });

  it('applies server.max_json_depth to signed bodies too: 5,000 levels is a 400, not a 500', async () => {
    const deep = `${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}`;
    const res = await post('github', deep, { 'x-hub-signature-256': ghSign(GH_SECRET, deep) });
    expect(res.status).toBe(400);
    expect(res.body.message).toContain('server.max_json_depth (64 levels)');
  });

  it('answers a replayed delivery with 200 duplicate:true and publishes it once', async () => {
    const body = '{"action":"opened"}';
    const headers = { 'x-hub-signature-256': ghSign(GH_SECRET, body), 'x-github-delivery': 'replay-1' };
    expect((await post('github', body, headers)).status).toBe(202);
    const again = await post('github', body, headers);
    expect(again.status).toBe(200);
    expect(again.body).toEqual({
      status: 'accepted',
      service: 'github',
      delivery_id: 'replay-1',
      duplicate: true,
    });
    await until(() => received.find((m) => m.data.delivery_id === 'replay-1'), 'first delivery');
    await new Promise((r) => setTimeout(r, 50));
    expect(received.filter((m) => m.data.delivery_id === 'replay-1')).toHaveLength(1);
  });

  it('verifies Trello (body + callback URL) and Jira (X-Hub-Signature)', async () => {
    const body = '{"action":{"id":"a-1","type":"createCard"}}';
    const callback = `${t.url}/webhooks/trello`;
    const trelloSig = createHmac('sha1', 'trello-app-secret')
      .update(body + callback)
      .digest('base64');
    const trello = await post('trello', body, { 'x-trello-webhook': trelloSig });
    expect(trello.status).toBe(202);
    expect(trello.body.delivery_id).toBe('a-1');
    expect((await post('trello', body, { 'x-trello-webhook': trelloSig })).body.duplicate).toBe(true);
    expect(
      (
        await post('trello', body, {
          'x-trello-webhook': createHmac('sha1', 'x')
            .update(body + callback)
            .digest('base64'),
        })
      ).status,
    ).toBe(401);
    // Trello checks the callback URL with HEAD before creating a webhook.
    expect((await request(`${t.url}/webhooks/trello`, { method: 'HEAD' })).status).toBe(200);
    expect((await request(`${t.url}/webhooks/nope`, { method: 'HEAD' })).status).toBe(404);

    const jiraBody = '{"webhookEvent":"jira:issue_updated"}';
    const jira = await post('jira', jiraBody, {
      'x-hub-signature': ghSign('jira-secret', jiraBody),
      'x-atlassian-webhook-identifier': 'j-1',
    });
    expect(jira.status).toBe(202);
    const msg = await until(() => received.find((m) => m.data.delivery_id === 'j-1'), 'jira');
    expect(msg.data.event).toBe('jira:issue_updated');
  });

  it('accepts a module-registered service with X-Mira-Signature; stale timestamps are 401', async () => {
    const body = '{"n":1}';
    const unix = Math.floor(now / 1000);
    const ok = await post('acme', body, {
      'x-mira-signature': signMira('acme-secret', body, unix),
      'x-mira-delivery': 'm-1',
    });
    expect(ok.status).toBe(202);
    // The delivery id comes from signed material only (timestamp + body digest), never from the
    // unsigned X-Mira-Delivery header.
    const deliveryId = `${unix}.${createHash('sha256').update(body).digest('hex')}`;
    expect(ok.body).toEqual({ status: 'accepted', service: 'acme', delivery_id: deliveryId });
    const stale = await post('acme', body, { 'x-mira-signature': signMira('acme-secret', body, unix - 301) });
    expect(stale.status).toBe(401);
    expect(stale.body.message).toContain('tolerance');
    // Without X-Mira-Delivery the signature itself identifies the delivery: a replay is caught.
    const sig = signMira('acme-secret', '{"n":2}', unix - 10);
    expect((await post('acme', '{"n":2}', { 'x-mira-signature': sig })).status).toBe(202);
    expect((await post('acme', '{"n":2}', { 'x-mira-signature': sig })).body.duplicate).toBe(true);
    // Neither a different X-Mira-Delivery nor a re-formatted signature header makes a replay new.
    const replays: Record<string, string>[] = [
      { 'x-mira-signature': sig, 'x-mira-delivery': 'another-id' },
      { 'x-mira-signature': `${sig},x=1` },
      { 'x-mira-signature': sig.replace(/v1=([0-9a-f]+)/, (_m, hex: string) => `v1=${hex.toUpperCase()}`) },
    ];
    for (const headers of replays) {
      const replay = await post('acme', '{"n":2}', headers);
      expect({ status: replay.status, duplicate: replay.body.duplicate }).toEqual({
        status: 200,
        duplicate: true,
      });
    }
  });

  it('unknown or disabled service 404, never 500', async () => {
    expect((await post('unknown', '{}', {})).status).toBe(404);
    expect((await post('UPPER', '{}', {})).status).toBe(404);
    reloadWebhooks({ ...overrides.webhooks, jira: { secret: 'jira-secret', enabled: false } });
    expect((await post('jira', '{}', { 'x-hub-signature': ghSign('jira-secret', '{}') })).status).toBe(404);
    reloadWebhooks(overrides.webhooks);
  });

  it('accepts the previous key after a rotation within the grace window, not after it', async () => {
    reloadWebhooks({ ...overrides.webhooks, acme: { secret: 'acme-secret-2', rotation_grace_seconds: 60 } });
    // Distinct bodies: the delivery id is derived from the signed timestamp and body.
    const send = (secret: string, id: string) =>
      post('acme', `{"r":"${id}"}`, {
        'x-mira-signature': signMira(secret, `{"r":"${id}"}`, Math.floor(now / 1000)),
      });
    expect((await send('acme-secret-2', 'rot-1')).status).toBe(202);
    expect((await send('acme-secret', 'rot-2')).status).toBe(202); // within grace
    now += 61_000;
    expect((await send('acme-secret', 'rot-3')).status).toBe(401); // grace over
    expect((await send('acme-secret-2', 'rot-4')).status).toBe(202);
  });

  it('accepts an explicitly configured previous_secret while it is configured', async () => {
    const webhooks = {
      ...overrides.webhooks,
      github: { secret: 'gh-new', previous_secret: GH_SECRET, rotation_grace_seconds: 0 },
    };
    reloadWebhooks(webhooks);
    // Distinct bodies: the same bytes under a new delivery id would be a replay.
    const body = '{"p":1}';
    const body2 = '{"p":2}';
    const body3 = '{"p":3}';
    expect(
      (
        await post('github', body, {
          'x-hub-signature-256': ghSign(GH_SECRET, body),
          'x-github-delivery': 'p-1',
        })
      ).status,
    ).toBe(202);
    expect(
      (
        await post('github', body2, {
          'x-hub-signature-256': ghSign('gh-new', body2),
          'x-github-delivery': 'p-2',
        })
      ).status,
    ).toBe(202);
    reloadWebhooks({ ...webhooks, github: { secret: 'gh-new', rotation_grace_seconds: 0 } });
    expect(
      (
        await post('github', body3, {
          'x-hub-signature-256': ghSign(GH_SECRET, body3),
          'x-github-delivery': 'p-3',
        })
      ).status,
    ).toBe(401);
  });
});

describe('webhook limits', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({
      overrides: { server: { body_limit_bytes: 2048 }, webhooks: { github: { secret: 's' } } },
    });
  });
  afterAll(() => t.close());

  it('answers 413 for a body over server.body_limit_bytes, 401 for a service without a secret', async () => {
    const big = JSON.stringify({ x: 'a'.repeat(4096) });
    const res = await request(`${t.url}/webhooks/github`, {
      raw: big,
      headers: { 'content-type': 'application/json', 'x-hub-signature-256': ghSign('s', big) },
    });
    expect(res.status).toBe(413);
    const jira = await request(`${t.url}/webhooks/jira`, {
      raw: '{}',
      headers: { 'content-type': 'application/json', 'x-hub-signature': ghSign('', '{}') },
    });
    expect(jira.status).toBe(401);
  });
});
