import { request, startTestApp, type TestApp } from './support/test-app';
import { until } from './support/poll';
import { startHttpReceiver, type HttpReceiver } from './support/delivery-receivers';

const SECRET = 'whsec_' + Buffer.from('event-secret-of-thirty-two-byte!').toString('base64');
const KEY = 'sub-key-0123456789abcdef';
const auth = { authorization: `Bearer ${KEY}` };
const OTHER = { authorization: 'Bearer other-key-0123456789abcdef' };
const AUDITOR = { authorization: 'Bearer audit-key-0123456789abcdef' };

describe('Event results over HTTP (memory broker)', () => {
  let t: TestApp;
  let rx: HttpReceiver;

  beforeAll(async () => {
    rx = await startHttpReceiver(SECRET);
    t = await startTestApp({
      overrides: {
        api: {
          keys: [
            { name: 'sam', key: KEY, roles: ['submitter'] },
            { name: 'eve', key: 'other-key-0123456789abcdef', roles: ['submitter'] },
            { name: 'aud', key: 'audit-key-0123456789abcdef', roles: ['auditor'] },
          ],
        },
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

  it("another submitter cannot read someone's event (404, like a missing one); an auditor can", async () => {
    const posted = await publish({ type: 'generate_report', data: { name: 'Hera', tasks: [] } });
    expect(posted.status).toBe(202);
    const url = `${t.url}/api/v1/events/${posted.body.id}`;
    const theirs = await request(url, { headers: OTHER });
    expect(theirs.status).toBe(404);
    expect(JSON.stringify(theirs.body)).not.toContain('Hera');
    const audited = await request(url, { headers: AUDITOR });
    expect(audited.status).toBe(200);
    expect(audited.body).toMatchObject({ id: posted.body.id, type: 'generate_report' });
    expect(audited.body).not.toHaveProperty('owner');
    expect((await status(posted.body.id)).status).toBe(200);
  });
});
