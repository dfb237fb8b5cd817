import { request, startTestApp, type TestApp } from './support/test-app';
import { until } from './support/poll';
import { startHttpReceiver, type HttpReceiver } from './support/delivery-receivers';

const SECRET = 'whsec_' + Buffer.from('event-secret-of-thirty-two-byte!').toString('base64');
const KEY = 'sub-key-0123456789abcdef';
const auth = { authorization: `Bearer ${KEY}` };

describe('Event results over HTTP (memory broker)', () => {
  let t: TestApp;
  let rx: HttpReceiver;

  beforeAll(async () => {
    rx = await startHttpReceiver(SECRET);
    t = await startTestApp({
      overrides: {
        api: { keys: [{ name: 'sam', key: KEY, roles: ['submitter'] }] },
        deliveries: {
          poll_interval_ms: 50,
          destinations: { ci: { kind: 'webhook', url: `${rx.url}/events`, secret: SECRET } },
        },
      },
    });
  });
  afterAll(async () => {
    await t?.close();
    await rx?.close();
  });

  const publish = (body: unknown) => request(`${t.url}/api/v1/events`, { body, headers: auth });
  const status = (id: string) => request(`${t.url}/api/v1/events/${id}`, { headers: auth });

  it('a posted event goes queued -> answered with the envelope', async () => {
    const posted = await publish({ type: 'generate_report', data: { name: 'Apollo', tasks: [] } });
    expect(posted.status).toBe(202);
    const first = await status(posted.body.id);
    expect(first.status).toBe(200);
    expect(['queued', 'answered']).toContain(first.body.status);
    const answered = await until(async () => {
      const r = await status(posted.body.id);
      return r.body.status === 'answered' ? r.body : null;
    }, 'answered');
    expect(answered).toMatchObject({
      id: posted.body.id,
      type: 'generate_report',
      response: { status: 'success', data: { project_name: 'Apollo' } },
    });
  });

  it('an event the agent refuses shows failed with the error', async () => {
    const posted = await publish({ type: 'generate_report', data: { name: 42 } });
    const failed = await until(async () => {
      const r = await status(posted.body.id);
      return r.body.status === 'failed' ? r.body : null;
    }, 'failed');
    expect(failed.response).toMatchObject({ status: 'error', error: expect.any(String) });
  });

  it('reply_to delivers the answer to the destination, signed; an unknown one is a 400', async () => {
    const posted = await publish({ type: 'generate_report', data: { name: 'Zeus' }, reply_to: 'ci' });
    await until(() => rx.requests.length === 1, 'reply delivered');
    expect(rx.requests[0].verified).toBe(true);
    expect(JSON.parse(rx.requests[0].body)).toMatchObject({
      type: 'event.answered',
      data: { event_id: posted.body.id, status: 'answered', response: { data: { project_name: 'Zeus' } } },
    });
    expect((await publish({ type: 'generate_report', data: {}, reply_to: 'nowhere' })).status).toBe(400);
    expect((await status('no-such-event')).status).toBe(404);
  });
});
