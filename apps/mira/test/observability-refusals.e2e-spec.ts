import { createHmac } from 'node:crypto';
import { Inject, Injectable, Module, type OnModuleInit } from '@nestjs/common';
import { MESSAGE_BROKER, type MessageBroker } from '@mira/broker';
import { REFUSAL_REASONS } from '@mira/metrics';
import { promtoolCheck, sample } from './support/prometheus';
import { request, startTestApp, type TestApp } from './support/test-app';

/** Holds every `slow_work` handler until opened, so the one-slot queue fills up. */
@Injectable()
class GatedConsumer implements OnModuleInit {
  private release!: () => void;
  readonly gate = new Promise<void>((r) => (this.release = r));
  constructor(@Inject(MESSAGE_BROKER) private readonly broker: MessageBroker) {}
  async onModuleInit(): Promise<void> {
    await this.broker.subscribe('slow_work', () => this.gate);
  }
  open(): void {
    this.release();
  }
}
@Module({ providers: [GatedConsumer] })
class GatedConsumerModule {}

const GH_SECRET = 'gh-refusals-secret';
const ghSign = (body: string) => `sha256=${createHmac('sha256', GH_SECRET).update(body).digest('hex')}`;

describe('metrics after refusals of each kind (real app, real HTTP)', () => {
  let t: TestApp;
  const admin = { 'x-api-key': 'admin-key' };
  const scrape = async () => (await request(`${t.url}/metrics`)).text;
  const refusals = async (reason: string) =>
    sample(await scrape(), 'mira_http_refusals_total', { reason }) ?? -1;

  beforeAll(async () => {
    t = await startTestApp({
      overrides: {
        broker: { queue_size: 1 },
        server: { body_limit_bytes: 2048 },
        api: {
          keys: [
            { name: 'admin', key: 'admin-key', roles: ['admin'] },
            { name: 'reader', key: 'auditor-key', roles: ['auditor'] },
            { name: 'busy', key: 'busy-key', roles: ['admin'] },
          ],
          rate_limit: { limit: 20, window_ms: 60000 },
          webhook_rate_limit: { enabled: false },
        },
        webhooks: { github: { secret: GH_SECRET } },
      },
      imports: [GatedConsumerModule],
    });
  });
  afterAll(() => t.close());

  it('exports every refusal reason from the start, and mira_build_info', async () => {
    const text = await scrape();
    for (const reason of REFUSAL_REASONS)
      expect(sample(text, 'mira_http_refusals_total', { reason })).toBe(0);
    expect(sample(text, 'mira_build_info', { node: process.version })).toBe(1);
    expect(text).toMatch(/^mira_build_info\{version="\d+\.\d+\.\d+[^"]*",node="v\d+/m);
    expect(text).toContain('# TYPE mira_broker_messages_dropped_total counter');
    expect(text).not.toMatch(/^mira_broker_messages_dropped /m);
  });

  it('counts each refusal by reason and labels the histogram with the numeric status', async () => {
    const msg = { type: 'generate_plan', data: {} };
    const cases: [string, () => Promise<{ status: number }>, number][] = [
      ['unauthorized', () => request(`${t.url}/api/v1/messages`, { body: msg }), 401],
      [
        'forbidden',
        () => request(`${t.url}/api/v1/messages`, { body: msg, headers: { 'x-api-key': 'auditor-key' } }),
        403,
      ],
      [
        'body_too_large',
        () =>
          request(`${t.url}/api/v1/messages`, {
            body: { type: 'generate_plan', data: { description: 'x'.repeat(4096) } },
            headers: admin,
          }),
        413,
      ],
      [
        'invalid_body',
        () => request(`${t.url}/api/v1/messages`, { body: { type: '', data: {} }, headers: admin }),
        400,
      ],
      [
        'unsupported_media_type',
        () =>
          request(`${t.url}/api/v1/messages`, {
            raw: 'type=generate_plan',
            headers: { ...admin, 'content-type': 'text/csv' },
          }),
        415,
      ],
      [
        'webhook_unknown_service',
        () =>
          request(`${t.url}/webhooks/nosuchservice`, { raw: '{}', headers: { 'x-hub-signature-256': 'x' } }),
        404,
      ],
      [
        'webhook_signature',
        () =>
          request(`${t.url}/webhooks/github`, {
            raw: '{"a":1}',
            headers: { 'x-hub-signature-256': ghSign('{"a":2}'), 'x-github-delivery': 'd-bad' },
          }),
        401,
      ],
    ];
    for (const [reason, send, status] of cases) {
      const before = await refusals(reason);
      expect((await send()).status).toBe(status);
      expect(await refusals(reason)).toBe(before + 1);
    }
    // The busy key spends its 20 requests, the 21st is rate limited.
    const busy = () => request(`${t.url}/api/v1/agents`, { headers: { 'x-api-key': 'busy-key' } });
    for (let i = 0; i < 20; i++) expect((await busy()).status).toBe(200);
    expect((await busy()).status).toBe(429);
    expect(await refusals('rate_limited')).toBe(1);
    // A rejected webhook signature is not also counted as a missing API key.
    expect(await refusals('unauthorized')).toBe(1);

    const text = await scrape();
    for (const code of ['401', '403', '413', '400', '415', '429'])
      expect(
        sample(text, 'http_request_duration_seconds_count', { status_code: code }),
      ).toBeGreaterThanOrEqual(1);
    expect(text).not.toMatch(/status_class=/);
    // Scrapes of /metrics itself are not observed.
    expect(text).not.toMatch(/http_request_duration_seconds_count\{[^}]*route="\/metrics"/);
  });

  it('tells a full queue, a stopped broker and the webhook outcomes apart', async () => {
    const event = (n: number) =>
      request(`${t.url}/api/v1/events`, { body: { type: 'slow_work', data: { n } }, headers: admin });
    // The body names the delivery: the same bytes under a new delivery id would be a replay.
    const hook = (delivery: string, body = `{"zen":"Keep it logically awesome.","hook":"${delivery}"}`) =>
      request(`${t.url}/webhooks/github`, {
        raw: body,
        headers: {
          'x-hub-signature-256': ghSign(body),
          'x-github-delivery': delivery,
          'x-github-event': 'ping',
        },
      });
    expect((await hook('d-1')).status).toBe(202);
    expect((await hook('d-1')).status).toBe(200); // replay
    // One handler in flight plus one queued fills the one-slot queue.
    expect((await event(1)).status).toBe(202);
    const deadline = Date.now() + 5000;
    while ((await event(2)).status !== 202) {
      if (Date.now() > deadline) throw new Error('second event never accepted');
      await new Promise((r) => setTimeout(r, 10));
    }
    let full = await event(3);
    while (full.status === 202 && Date.now() < deadline) full = await event(3);
    expect(full.status).toBe(503);
    expect(await refusals('queue_full')).toBeGreaterThanOrEqual(1);
    expect((await hook('d-2')).status).toBe(503); // verified, but the queue is full
    t.app.get(GatedConsumer).open();
    await t.app.get<MessageBroker>(MESSAGE_BROKER).stop();
    expect((await event(4)).status).toBe(503);
    expect(await refusals('broker_unavailable')).toBe(1);

    const text = await scrape();
    const deliveries = (service: string, result: string) =>
      sample(text, 'mira_webhook_deliveries_total', { service, result });
    expect(deliveries('github', 'processed')).toBe(1);
    expect(deliveries('github', 'duplicate')).toBe(1);
    expect(deliveries('github', 'rejected')).toBe(1);
    expect(deliveries('github', 'failed')).toBe(1);
    expect(deliveries('other', 'rejected')).toBe(1);
    expect(text).not.toContain('nosuchservice');
    // Every new series passes the linter (counters end in _total, no gauge named like a counter).
    const check = promtoolCheck(text);
    expect(check.ok).toBe(true);
    expect(check.output).not.toMatch(/error|should|counter metrics should/i);
  });
});
