import { loadConfig, ConfigError } from '@mira/config';
import { startHttpReceiver, startSmtpReceiver } from '../../../apps/mira/test/support/delivery-receivers';
import { retryDelayMs } from './delivery.backoff';
import { HostGuard } from './delivery.host-guard';
import type { DeliveryMessage, DeliverySendContext } from './delivery.interface';
import { deliveriesSchema } from './deliveries.config';
import { DeliveriesError } from './deliveries.error';
import { EmailDeliveryKind } from './providers/email.delivery';
import { SlackDeliveryKind } from './providers/slack.delivery';
import { WebhookDeliveryKind } from './providers/webhook.delivery';

const SECRET = 'whsec_' + Buffer.from('a-32-byte-long-secret-for-tests!').toString('base64');

const report = {
  project_name: 'Apollo',
  report_date: '2026-12-04T15:00:00.000Z',
  week_number: 2,
  summary: {
    total_tasks: 4,
    completed_tasks: 1,
    in_progress_tasks: 2,
    not_started_tasks: 1,
    completion_percentage: 25,
  },
  accomplishments: ['Completed 1 tasks this week', 'Design API'],
  upcoming_milestones: [{ name: 'Beta', week: 3 }],
  risks_and_blockers: [{ id: 'R1', description: 'Vendor <delay>', severity: 'high' }],
  next_week_plan: ['Continue work on 2 in-progress tasks'],
  generated_by: 'status_reporter_agent',
};
const message: DeliveryMessage = {
  id: 'msg_0001',
  type: 'schedule.run.completed',
  title: 'weekly-apollo',
  occurred_at: '2026-12-04T15:00:01.000Z',
  data: { schedule: 'weekly-apollo', result: report },
};

function context(settings: object, urls: string[]): DeliverySendContext {
  const s = deliveriesSchema.parse(settings);
  const dests = Object.fromEntries(urls.map((url, i) => [`d${i}`, { kind: 'webhook', url }]));
  return { timeoutMs: 2000, guard: new HostGuard(s.allowed_hosts, dests), settings: s };
}

describe('delivery kinds against local receivers', () => {
  it('webhook: signs with Standard Webhooks; the receiver verifies it', async () => {
    const rx = await startHttpReceiver(SECRET);
    try {
      const target = { name: 'ci', kind: 'webhook', url: `${rx.url}/hook`, secret: SECRET, to: [] };
      await new WebhookDeliveryKind().send(target, message, context({}, [rx.url]));
      expect(rx.requests).toHaveLength(1);
      expect(rx.requests[0].verified).toBe(true);
      expect(rx.requests[0].headers['webhook-id']).toBe('msg_0001');
      expect(JSON.parse(rx.requests[0].body)).toMatchObject({
        type: 'schedule.run.completed',
        data: message.data,
      });
      // A wrong secret on the receiving side fails verification: the signature is real.
      const other = await startHttpReceiver(
        'whsec_' + Buffer.from('another-secret-of-32-bytes-long!').toString('base64'),
      );
      await new WebhookDeliveryKind().send({ ...target, url: other.url }, message, context({}, [other.url]));
      expect(other.requests[0].verified).toBe(false);
      await other.close();
    } finally {
      await rx.close();
    }
  });

  it('webhook: 5xx is retryable, 4xx is not, a redirect to another host is refused', async () => {
    const rx = await startHttpReceiver(undefined, (req) =>
      req.path === '/away' ? { status: 302, headers: { location: 'http://localhost:9/x' } } : undefined,
    );
    try {
      const ctx = context({}, [rx.url]);
      const kind = new WebhookDeliveryKind();
      const target = { name: 'ci', kind: 'webhook', url: rx.url, secret: null, to: [] };
      rx.answers = [500];
      await expect(kind.send(target, message, ctx)).rejects.toMatchObject({
        code: 'DELIVERY_SEND_FAILED',
        retryable: true,
      });
      rx.answers = [404];
      await expect(kind.send(target, message, ctx)).rejects.toMatchObject({ retryable: false });
      await expect(kind.send({ ...target, url: `${rx.url}/away` }, message, ctx)).rejects.toMatchObject({
        code: 'DELIVERY_HOST_REFUSED',
      });
      expect(rx.requests.map((r) => r.path)).toEqual(['/', '/', '/away']);
    } finally {
      await rx.close();
    }
  });

  it('slack: a readable report message (title, completion, accomplishments, risks, next steps)', async () => {
    const rx = await startHttpReceiver();
    try {
      const target = { name: 'team', kind: 'slack', url: `${rx.url}/services/T/B/X`, secret: null, to: [] };
      await new SlackDeliveryKind().send(target, message, context({}, [rx.url]));
      const body = JSON.parse(rx.requests[0].body) as {
        text: string;
        blocks: { type: string; text?: { text: string } }[];
      };
      expect(body.text).toBe('Status report: Apollo, week 2: 25% complete (1 of 4 tasks)');
      expect(body.blocks[0]).toEqual({
        type: 'header',
        text: { type: 'plain_text', text: 'Status report: Apollo, week 2' },
      });
      const texts = body.blocks.map((b) => b.text?.text ?? '').join('\n');
      expect(texts).toContain('*Accomplishments*\n• Completed 1 tasks this week\n• Design API');
      expect(texts).toContain('*Risks and blockers*\n• R1: Vendor &lt;delay&gt; (high)');
      expect(texts).toContain('*Next steps*\n• Continue work on 2 in-progress tasks');
    } finally {
      await rx.close();
    }
  });

  it('email: SMTP receives the report with a text and an HTML part', async () => {
    const smtp = await startSmtpReceiver();
    const kind = new EmailDeliveryKind();
    try {
      const ctx = context(
        { smtp: { host: '127.0.0.1', port: smtp.port, from: 'Mira <mira@example.com>' } },
        [],
      );
      await kind.send(
        { name: 'pm', kind: 'email', url: null, secret: null, to: ['pm@example.com'] },
        message,
        ctx,
      );
      expect(smtp.mails).toHaveLength(1);
      // Quoted-printable soft line breaks joined, so the HTML reads as sent.
      const raw = smtp.mails[0].raw.replace(/=\r?\n/g, '');
      expect(smtp.mails[0].to).toEqual(['pm@example.com']);
      expect(raw).toMatch(/Subject: Status report: Apollo, week 2/);
      expect(raw).toMatch(/Content-Type: text\/plain/);
      expect(raw).toMatch(/Content-Type: text\/html/);
      expect(raw).toContain('- Design API');
      expect(raw).toContain('<li>R1: Vendor &lt;delay&gt; (high)</li>');
    } finally {
      kind.onModuleDestroy();
      await smtp.close();
    }
  });
});

describe('SSRF guard', () => {
  it('refuses a destination outside deliveries.allowed_hosts at config load', () => {
    const load = (deliveries: unknown) => loadConfig({ file: null, env: {}, overrides: { deliveries } });
    expect(() =>
      load({
        allowed_hosts: ['hooks.example.com'],
        destinations: { x: { kind: 'webhook', url: 'http://169.254.169.254/' } },
      }),
    ).toThrow(/host 169\.254\.169\.254 is not in deliveries\.allowed_hosts/);
    expect(() => load({ destinations: { x: { kind: 'webhook', url: 'file:///etc/passwd' } } })).toThrow(
      ConfigError,
    );
    const ok = load({
      allowed_hosts: ['*.example.com'],
      destinations: { x: { kind: 'slack', url: 'https://hooks.example.com/a' } },
    });
    expect(ok.config.deliveries.destinations.x.url).toBe('https://hooks.example.com/a');
  });

  it('by default allows only the hosts of configured destinations', () => {
    const guard = new HostGuard([], { a: { kind: 'webhook', url: 'https://a.example.com/x' } });
    expect(() => guard.check('https://a.example.com/other', 'w')).not.toThrow();
    expect(() => guard.check('http://127.0.0.1:6379/', 'w')).toThrow(DeliveriesError);
  });
});

it('backs off exponentially with jitter, capped', () => {
  const first = retryDelayMs(1, 1000, 60_000);
  expect(first).toBeGreaterThanOrEqual(500);
  expect(first).toBeLessThanOrEqual(1000);
  const fourth = retryDelayMs(4, 1000, 60_000);
  expect(fourth).toBeGreaterThanOrEqual(4000);
  expect(fourth).toBeLessThanOrEqual(8000);
  expect(retryDelayMs(30, 1000, 60_000)).toBeLessThanOrEqual(60_000);
});
