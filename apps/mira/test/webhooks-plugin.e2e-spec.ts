import { MESSAGE_BROKER, type BrokerMessage, type MessageBroker } from '@mira/broker';
import { WebhookRegistry, type WebhookEvent } from '@mira/webhooks';
import { AcmePayWebhookModule, signAcmePay } from './fixtures/webhook-plugin/acmepay.webhook';
import { until } from './support/poll';
import { request, startTestApp, type TestApp } from './support/test-app';

const SECRET = 'acmepay-plugin-secret-51c2';

describe('a webhook service contributed by a module outside the app (real app, real HTTP)', () => {
  let t: TestApp;
  const received: BrokerMessage<WebhookEvent>[] = [];
  const deliver = (id: string, body: string, secret: string, extra: Record<string, string> = {}) =>
    request(`${t.url}/webhooks/acmepay`, {
      raw: body,
      headers: {
        'content-type': 'application/json',
        'x-acmepay-delivery': id,
        'x-acmepay-event': 'invoice.paid',
        'x-acmepay-signature': `v2=${signAcmePay(secret, id, body).toString('base64')}`,
        ...extra,
      },
    });

  beforeAll(async () => {
    t = await startTestApp({
      overrides: {
        api: { webhook_rate_limit: { enabled: false } },
        webhooks: { acmepay: { secret: SECRET } },
      },
      imports: [AcmePayWebhookModule],
    });
    await t.app
      .get<MessageBroker>(MESSAGE_BROKER)
      .subscribe<WebhookEvent>('webhook.acmepay', (m) => void received.push(m));
  });
  afterAll(() => t?.close());

  it('is registered next to the built-in services and answers the callback check', async () => {
    expect(t.app.get(WebhookRegistry).list()).toEqual(expect.arrayContaining(['github', 'acmepay']));
    expect((await fetch(`${t.url}/webhooks/acmepay`, { method: 'HEAD' })).status).toBe(200);
  });

  it('accepts a delivery signed with its scheme and key, and publishes its event type', async () => {
    const body = JSON.stringify({ invoice: 'in_1', amount: 4200 });
    const res = await deliver('evt-1', body, SECRET);
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ status: 'accepted', service: 'acmepay', delivery_id: 'evt-1' });
    const msg = await until(() => received.find((m) => m.data.delivery_id === 'evt-1'), 'webhook.acmepay');
    expect(msg.type).toBe('webhook.acmepay');
    expect(msg.data).toMatchObject({
      service: 'acmepay',
      event: 'invoice.paid',
      payload: { invoice: 'in_1', amount: 4200 },
    });
    // The same delivery again is a replay: 200, not published twice.
    const again = await deliver('evt-1', body, SECRET);
    expect(again.status).toBe(200);
    expect(again.body.duplicate).toBe(true);
  });

  it('refuses a wrong key, a tampered body, a signature moved to another delivery, a missing header', async () => {
    const body = JSON.stringify({ invoice: 'in_2' });
    const wrongKey = await deliver('evt-2', body, 'not-the-secret');
    const tampered = await request(`${t.url}/webhooks/acmepay`, {
      raw: body.replace('in_2', 'in_3'),
      headers: {
        'content-type': 'application/json',
        'x-acmepay-delivery': 'evt-2',
        'x-acmepay-signature': `v2=${signAcmePay(SECRET, 'evt-2', body).toString('base64')}`,
      },
    });
    const moved = await deliver('evt-3', body, SECRET, {
      'x-acmepay-signature': `v2=${signAcmePay(SECRET, 'evt-2', body).toString('base64')}`,
    });
    const missing = await request(`${t.url}/webhooks/acmepay`, {
      raw: body,
      headers: { 'content-type': 'application/json', 'x-acmepay-delivery': 'evt-4' },
    });
    for (const r of [wrongKey, tampered, moved, missing]) {
      expect(r.status).toBe(401);
      expect(r.text).not.toContain(SECRET);
    }
    expect(wrongKey.body.message).toBe('Invalid webhook signature');
    expect(missing.body.message).toContain('x-acmepay-signature');
    expect(received.filter((m) => m.data.delivery_id !== 'evt-1')).toEqual([]);
  });
});
