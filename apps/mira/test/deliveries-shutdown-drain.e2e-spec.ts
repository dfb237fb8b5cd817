import { DatabaseSync } from 'node:sqlite';
import { createServer, type ServerResponse } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { until } from './support/poll';
import { request, startTestApp, type TestApp } from './support/test-app';

const SECRET = 'whsec_' + Buffer.from('drain-secret-of-thirty-two-byte!').toString('base64');

/**
 * Shutdown drain order over the real app: a delivery being sent when the service is asked to stop
 * finishes (the shutdown waits for it) and is recorded delivered; nothing new is sent afterwards.
 */
describe('shutdown drains the scheduler and the delivery sender', () => {
  let dir: string;
  let t: TestApp;
  const held: ServerResponse[] = [];
  const ids: string[] = [];
  const rx = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      ids.push(String(req.headers['webhook-id']));
      held.push(res); // answered only when the test says so
    });
  });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mira-drain-'));
    await new Promise<void>((r) => rx.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(rx.address() as AddressInfo).port}/hook`;
    t = await startTestApp({
      overrides: {
        state: { sqlite: { path: join(dir, 'mira.db') } },
        shutdown: { timeout_ms: 20_000 },
        deliveries: {
          poll_interval_ms: 50,
          timeout_ms: 15_000,
          destinations: { slow: { kind: 'webhook', url, secret: SECRET } },
        },
      },
    });
  });
  afterAll(async () => {
    for (const r of held) if (!r.writableEnded) r.end('ok');
    rx.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('an in-flight send finishes before the service stops, and is recorded delivered', async () => {
    const created = await request(`${t.url}/api/v1/schedules`, {
      body: {
        name: 'drain',
        cron: '0 16 * * 5',
        timezone: 'UTC',
        target: { message: { type: 'generate_report', data: { name: 'Drain', tasks: [] } } },
        deliveries: ['slow'],
      },
    });
    expect(created.status).toBe(201);
    expect((await request(`${t.url}/api/v1/schedules/drain/trigger`, { method: 'POST' })).status).toBe(202);
    await until(() => held.length === 1, 'the send to reach the receiver');

    let closed = false;
    const closing = t.close().then(() => (closed = true));
    // The shutdown waits on the send: still not closed while the receiver holds the answer.
    await new Promise((r) => setTimeout(r, 500));
    expect(closed).toBe(false);
    held[0].end('ok');
    await closing;
    expect(held).toHaveLength(1); // no second attempt, nothing claimed during the drain

    const db = new DatabaseSync(join(dir, 'mira.db'), { readOnly: true });
    try {
      const rows = db.prepare('SELECT id, status, attempts FROM deliveries').all() as {
        id: string;
        status: string;
        attempts: number;
      }[];
      expect(rows).toEqual([{ id: ids[0], status: 'delivered', attempts: 1 }]);
      const runs = db.prepare('SELECT status FROM schedule_runs').all() as { status: string }[];
      expect(runs).toEqual([{ status: 'succeeded' }]);
    } finally {
      db.close();
    }
  }, 40_000);
});
