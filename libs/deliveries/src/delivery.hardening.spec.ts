import { startHttpReceiver } from '../../../apps/mira/test/support/delivery-receivers';
import { deliveriesSchema } from './deliveries.config';
import { unsignedWebhooks } from './deliveries.service';
import { HostGuard } from './delivery.host-guard';
import type { DeliveryMessage, DeliverySendContext } from './delivery.interface';
import { SlackDeliveryKind } from './providers/slack.delivery';
import { WebhookDeliveryKind } from './providers/webhook.delivery';

const message = (title: string): DeliveryMessage => ({
  id: 'msg_0002',
  type: 'schedule.run.completed',
  title,
  occurred_at: '2026-12-04T15:00:01.000Z',
  data: { schedule: title, result: { project_name: title, week_number: 1 } },
});

function context(urls: string[]): DeliverySendContext {
  const s = deliveriesSchema.parse({});
  const dests = Object.fromEntries(urls.map((url, i) => [`d${i}`, { kind: 'webhook', url }]));
  return { timeoutMs: 2000, guard: new HostGuard(s.allowed_hosts, dests), settings: s };
}

describe('delivery hardening against local receivers', () => {
  it('slack: the notification text is escaped, so a title cannot ping <!channel> or hide a link', async () => {
    const rx = await startHttpReceiver();
    try {
      const target = { name: 'team', kind: 'slack', url: `${rx.url}/services/T/B/X`, secret: null, to: [] };
      await new SlackDeliveryKind().send(
        target,
        message('<!channel> & <https://evil.example|Apollo>'),
        context([rx.url]),
      );
      const body = JSON.parse(rx.requests[0].body) as { text: string };
      expect(body.text).not.toMatch(/[<>]/);
      expect(body.text).toContain('&lt;!channel&gt; &amp; &lt;https://evil.example|Apollo&gt;');
    } finally {
      await rx.close();
    }
  });

  it('a same-host redirect that changes the scheme is refused, not followed', async () => {
    const rx = await startHttpReceiver(undefined, (req) =>
      req.path === '/hop'
        ? { status: 307, headers: { location: `https://${new URL(rx.url).host}/x` } }
        : undefined,
    );
    try {
      const target = { name: 'ci', kind: 'webhook', url: `${rx.url}/hop`, secret: null, to: [] };
      await expect(
        new WebhookDeliveryKind().send(target, message('x'), context([rx.url])),
      ).rejects.toMatchObject({
        code: 'DELIVERY_HOST_REFUSED',
        retryable: false,
      });
      expect(rx.requests.map((r) => r.path)).toEqual(['/hop']);
    } finally {
      await rx.close();
    }
  });

  it('names every webhook destination without a secret (warned at config load)', () => {
    const s = deliveriesSchema.parse({
      destinations: {
        signed: { kind: 'webhook', url: 'https://a.example/h', secret: 'whsec_abc' },
        bare: { kind: 'webhook', url: 'https://b.example/h' },
        team: { kind: 'slack', url: 'https://hooks.slack.com/services/T/B/X' },
      },
    });
    expect(unsignedWebhooks(s)).toEqual(['bare']);
  });
});
