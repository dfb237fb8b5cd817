import { randomBytes } from 'node:crypto';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { useCluster } from './support/cluster';
import { eventually } from './support/service-process';

// A replica SIGKILLed while it is sending a delivery: the row stays `sending` until its lease
// lapses, then another replica claims it and sends it again with the same webhook-id (the
// receiver's idempotency key), so the receiver can tell it is the same message.

const SECRET = 'whsec_' + Buffer.from('kill-secret-of-thirty-two-bytes!').toString('base64');
const ADMIN = { name: 'ops', key: `ops-${randomBytes(12).toString('hex')}`, roles: ['admin', 'auditor'] };
const headers = { 'x-api-key': ADMIN.key };

describe('a replica killed mid-send (two service processes, PostgreSQL)', () => {
  const cluster = useCluster({ redis: false, setupTimeoutMs: 300_000 });
  const received: { id: string; res: ServerResponse }[] = [];
  const rx = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const id = String(req.headers['webhook-id']);
      // The first attempt is held (its replica dies holding it); any later one is answered.
      if (received.length > 0) res.end('ok');
      received.push({ id, res });
    });
  });

  beforeAll(async () => {
    await new Promise<void>((r) => rx.listen(0, '127.0.0.1', r));
  });
  // Runs after the cluster's afterAll (declared first) has killed the replicas.
  afterAll(() => {
    for (const r of received) if (!r.res.writableEnded) r.res.destroy();
    rx.close();
  });

  it('the delivery is re-sent by another replica after its lease, with the same webhook-id', async () => {
    const config = {
      api: { keys: [ADMIN], rate_limit: { enabled: false } },
      shutdown: { drain_delay_ms: 0 },
      ...(await cluster.shared('deliveries_kill')),
      deliveries: {
        poll_interval_ms: 100,
        lease_ms: 2000,
        timeout_ms: 60_000,
        destinations: {
          rx: {
            kind: 'webhook',
            url: `http://127.0.0.1:${(rx.address() as AddressInfo).port}/hook`,
            secret: SECRET,
          },
        },
      },
      schedules: {
        yearly: {
          cron: '0 0 1 1 *',
          target: { message: { type: 'generate_report', data: { name: 'Kill' } } },
          deliveries: ['rx'],
        },
      },
    };
    // A alone first, so it is the one that claims the send.
    const a = await cluster.start({ config }, 60_000);
    const trigger = await fetch(`${a.url}/api/v1/schedules/yearly/trigger`, { method: 'POST', headers });
    expect(trigger.status).toBe(202);
    await eventually(async () => received.length === 1, 30_000, 'the first attempt to arrive');

    const b = await cluster.start({ config }, 60_000);
    expect((await a.signal('SIGKILL').exit).code).toBeNull();

    await eventually(async () => received.length >= 2, 30_000, 'the re-send by the other replica');
    expect(received[1].id).toBe(received[0].id);
    const row = await eventually(
      async () => {
        const res = await fetch(`${b.url}/api/v1/deliveries?status=delivered`, { headers });
        const { deliveries } = (await res.json()) as { deliveries: { id: string; attempts: number }[] };
        return deliveries.find((d) => d.id === received[0].id);
      },
      15_000,
      'the delivery recorded delivered',
    );
    expect(row.id).toBe(received[0].id);
    expect(received).toHaveLength(2);
  }, 180_000);
});
