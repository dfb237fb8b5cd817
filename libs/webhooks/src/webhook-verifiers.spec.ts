import { createHmac } from 'node:crypto';
import { validateConfig } from '@mira/config';
import type { WebhookDelivery } from './webhook.interface';
import { GithubWebhook } from './providers/github.webhook';
import { JiraWebhook } from './providers/jira.webhook';
import { MiraSignatureVerifier, parseMiraSignature, signMira } from './providers/mira-signature.verifier';
import { TrelloWebhook } from './providers/trello.webhook';
import { MemoryDeduplicator } from './memory-deduplicator';
import { parsePayload } from './webhooks.service';

// GitHub's published example ("Validating webhook deliveries", docs.github.com).
const GH_SECRET = "It's a Secret to Everybody";
const GH_PAYLOAD = 'Hello, World!';
const GH_SIGNATURE = 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17';

const settings = (over: Record<string, unknown> = {}) => validateConfig({ webhooks: { s: over } }).webhooks.s;

function delivery(
  body: string | Buffer,
  headers: Record<string, string>,
  over: Partial<WebhookDelivery> = {},
): WebhookDelivery {
  return {
    service: 's',
    rawBody: Buffer.isBuffer(body) ? body : Buffer.from(body),
    headers,
    url: 'https://mira.example.com/webhooks/s',
    receivedAt: 1_700_000_000_000,
    settings: settings(),
    ...over,
  };
}

describe('GitHub X-Hub-Signature-256', () => {
  const gh = new GithubWebhook();
  it("verifies GitHub's documented example", () => {
    expect(gh.verify(delivery(GH_PAYLOAD, { 'x-hub-signature-256': GH_SIGNATURE }), [GH_SECRET])).toBeNull();
    // prefix is case-insensitive, hex too
    expect(
      gh.verify(
        delivery(GH_PAYLOAD, {
          'x-hub-signature-256': GH_SIGNATURE.toUpperCase().replace('SHA256', 'sha256'),
        }),
        [GH_SECRET],
      ),
    ).toBeNull();
  });
  it('rejects a tampered body, a wrong key, a missing or malformed header', () => {
    expect(
      gh.verify(delivery('Hello, World?', { 'x-hub-signature-256': GH_SIGNATURE }), [GH_SECRET])?.reason,
    ).toBe('invalid_signature');
    expect(gh.verify(delivery(GH_PAYLOAD, { 'x-hub-signature-256': GH_SIGNATURE }), ['wrong'])?.reason).toBe(
      'invalid_signature',
    );
    expect(gh.verify(delivery(GH_PAYLOAD, {}), [GH_SECRET])).toEqual({
      reason: 'missing_signature',
      header: 'x-hub-signature-256',
    });
    for (const bad of [
      'sha1=757107ea',
      'sha256=zz',
      GH_SIGNATURE.slice(0, -2),
      `${GH_SIGNATURE}00`,
      'sha256=',
    ]) {
      expect(gh.verify(delivery(GH_PAYLOAD, { 'x-hub-signature-256': bad }), [GH_SECRET])?.reason).toBe(
        'malformed_signature',
      );
    }
  });
  it('accepts any candidate key (rotation) and reads the delivery id and event', () => {
    const d = delivery(GH_PAYLOAD, {
      'x-hub-signature-256': GH_SIGNATURE,
      'x-github-delivery': 'abc',
      'x-github-event': 'push',
    });
    expect(gh.verify(d, ['new-secret', GH_SECRET])).toBeNull();
    expect(gh.deliveryId(d)).toBe('abc');
    expect(gh.eventType(d)).toBe('push');
  });
});

describe('Jira X-Hub-Signature (secure admin webhooks)', () => {
  const jira = new JiraWebhook();
  it('uses the same sha256=<hex> HMAC of the body, under X-Hub-Signature', () => {
    // Atlassian publishes no test vector; the scheme is the WebSub one GitHub's example exercises.
    expect(jira.verify(delivery(GH_PAYLOAD, { 'x-hub-signature': GH_SIGNATURE }), [GH_SECRET])).toBeNull();
    expect(
      jira.verify(delivery(GH_PAYLOAD, { 'x-hub-signature-256': GH_SIGNATURE }), [GH_SECRET])?.reason,
    ).toBe('missing_signature');
    const d = delivery('{"webhookEvent":"jira:issue_created"}', { 'x-atlassian-webhook-identifier': 'id-1' });
    expect(jira.deliveryId(d)).toBe('id-1');
    expect(jira.eventType(d, { webhookEvent: 'jira:issue_created' })).toBe('jira:issue_created');
  });
});

describe('Trello X-Trello-Webhook', () => {
  const trello = new TrelloWebhook();
  const body = '{"action":{"id":"5f1","type":"updateCard"},"model":{"id":"m1"}}';
  const callback = 'https://mira.example.com/webhooks/trello';
  // Trello's documented computation: base64(HMAC-SHA1(appSecret, body + callbackURL)).
  const sign = (secret: string, b: string, url: string) =>
    createHmac('sha1', secret)
      .update(b + url)
      .digest('base64');

  it('verifies body + callback URL signed with the app secret', () => {
    const d = delivery(body, { 'x-trello-webhook': sign('app-secret', body, callback) }, { url: callback });
    expect(trello.verify(d, ['app-secret'])).toBeNull();
    expect(trello.deliveryId(d, JSON.parse(body))).toBe('5f1');
    expect(trello.eventType(d, JSON.parse(body))).toBe('updateCard');
  });
  it('uses webhooks.<s>.callback_url when set (proxies rewrite the URL)', () => {
    const registered = 'https://public.example.com/hooks/trello?x=1';
    const header = { 'x-trello-webhook': sign('app-secret', body, registered) };
    expect(
      trello.verify(delivery(body, header, { url: 'http://10.0.0.5:3000/webhooks/trello' }), ['app-secret'])
        ?.reason,
    ).toBe('invalid_signature');
    expect(
      trello.verify(delivery(body, header, { settings: settings({ callback_url: registered }) }), [
        'app-secret',
      ]),
    ).toBeNull();
  });
  it('rejects tampering, wrong key, wrong URL, missing or malformed header', () => {
    const header = { 'x-trello-webhook': sign('app-secret', body, callback) };
    expect(
      trello.verify(delivery(body.replace('m1', 'm2'), header, { url: callback }), ['app-secret'])?.reason,
    ).toBe('invalid_signature');
    expect(trello.verify(delivery(body, header, { url: callback }), ['other'])?.reason).toBe(
      'invalid_signature',
    );
    expect(trello.verify(delivery(body, header, { url: `${callback}/x` }), ['app-secret'])?.reason).toBe(
      'invalid_signature',
    );
    expect(trello.verify(delivery(body, {}, { url: callback }), ['app-secret'])?.reason).toBe(
      'missing_signature',
    );
    expect(
      trello.verify(delivery(body, { 'x-trello-webhook': 'not base64!' }, { url: callback }), ['app-secret'])
        ?.reason,
    ).toBe('malformed_signature');
  });
});

describe('X-Mira-Signature (generic timestamped scheme)', () => {
  const mira = new MiraSignatureVerifier();
  const now = 1_700_000_000;
  const body = '{"hello":"world"}';
  const expectedHex = createHmac('sha256', 'k').update(`${now}.${body}`).digest('hex');

  it('signs t.body with HMAC-SHA256 and verifies it', () => {
    expect(signMira('k', body, now)).toBe(`t=${now},v1=${expectedHex}`);
    expect(
      mira.verify(delivery(body, { 'x-mira-signature': `t=${now},v1=${expectedHex}` }), ['k']),
    ).toBeNull();
  });
  it('accepts timestamps within the 300 s tolerance and rejects stale or future ones', () => {
    const at = (t: number) => delivery(body, { 'x-mira-signature': signMira('k', body, t) });
    expect(mira.verify(at(now - 300), ['k'])).toBeNull();
    expect(mira.verify(at(now + 300), ['k'])).toBeNull();
    expect(mira.verify(at(now - 301), ['k'])?.reason).toBe('stale_timestamp');
    expect(mira.verify(at(now + 301), ['k'])?.reason).toBe('stale_timestamp');
    const wide = delivery(
      body,
      { 'x-mira-signature': signMira('k', body, now - 1000) },
      { settings: settings({ tolerance_seconds: 1200 }) },
    );
    expect(mira.verify(wide, ['k'])).toBeNull();
  });
  it('rejects a tampered body, a wrong key, a signature moved to another timestamp', () => {
    expect(
      mira.verify(delivery('{"hello":"World"}', { 'x-mira-signature': signMira('k', body, now) }), ['k'])
        ?.reason,
    ).toBe('invalid_signature');
    expect(mira.verify(delivery(body, { 'x-mira-signature': signMira('k', body, now) }), ['x'])?.reason).toBe(
      'invalid_signature',
    );
    expect(
      mira.verify(delivery(body, { 'x-mira-signature': `t=${now - 1},v1=${expectedHex}` }), ['k'])?.reason,
    ).toBe('invalid_signature');
  });
  it('parses strictly', () => {
    expect(parseMiraSignature(`t=1,v1=${expectedHex},v1=${expectedHex},v0=zz`)?.v1).toHaveLength(2);
    for (const bad of [
      '',
      't=1',
      `v1=${expectedHex}`,
      `t=x,v1=${expectedHex}`,
      `t=1,t=2,v1=${expectedHex}`,
      't=1,v1=abc',
      'garbage',
    ]) {
      expect(parseMiraSignature(bad)).toBeNull();
    }
    expect(mira.verify(delivery(body, {}), ['k'])?.reason).toBe('missing_signature');
  });
});

describe('payload parsing after verification', () => {
  it('parses JSON, GitHub form payloads and keeps other types as text', () => {
    expect(parsePayload(Buffer.from('{"a":1}'), 'application/json; charset=utf-8')).toEqual({
      ok: true,
      payload: { a: 1 },
    });
    expect(
      parsePayload(Buffer.from('payload=%7B%22a%22%3A1%7D'), 'application/x-www-form-urlencoded'),
    ).toEqual({ ok: true, payload: { a: 1 } });
    expect(parsePayload(Buffer.from('Hello'), 'text/plain')).toEqual({ ok: true, payload: 'Hello' });
    expect(parsePayload(Buffer.alloc(0), 'application/json')).toEqual({ ok: true, payload: null });
    expect(parsePayload(Buffer.from('{bad'), 'application/json').ok).toBe(false);
  });
});

describe('MemoryDeduplicator', () => {
  it('claims once per ttl, forgets released or expired ids, and stays within capacity', async () => {
    let now = 0;
    const d = new MemoryDeduplicator(3, () => now);
    expect(await d.claim('a', 100)).toBe(true);
    expect(await d.claim('a', 100)).toBe(false);
    await d.release('a');
    expect(await d.claim('a', 100)).toBe(true);
    now = 101;
    expect(await d.claim('a', 100)).toBe(true);
    for (const k of ['b', 'c', 'd', 'e']) await d.claim(k, 1000);
    expect(d.size).toBe(3);
    expect(await d.claim('b', 1000)).toBe(true); // evicted as least recent
  });

  it('extends a live claim and refuses to revive an expired one', async () => {
    let now = 0;
    const d = new MemoryDeduplicator(10, () => now);
    await d.claim('a', 100);
    expect(await d.extend('a', 1000)).toBe(true);
    now = 500;
    expect(await d.claim('a', 100)).toBe(false); // still held thanks to the extension
    now = 2000;
    expect(await d.extend('a', 1000)).toBe(false);
    expect(await d.claim('a', 100)).toBe(true);
  });
});
