import { Writable } from 'node:stream';
import { LogDestinationModule } from '@mira/logging';
import { request, startTestApp, type TestApp } from './support/test-app';

// Errors of the HTTP edge that say what to change, asserted by their text over real HTTP.

/** The app's JSON log lines, through the injectable log destination. */
class LogCapture extends Writable {
  readonly lines: { msg?: string }[] = [];
  override _write(chunk: Buffer, _enc: string, done: () => void): void {
    for (const line of chunk.toString().split('\n').filter(Boolean)) this.lines.push(JSON.parse(line));
    done();
  }
}

const ADMIN = 'admin-key-0123456789abcdef';
const SUBMITTER = 'submitter-key-0123456789abcdef';

describe('errors with the fix, over HTTP', () => {
  let t: TestApp;
  const logs = new LogCapture();
  beforeAll(async () => {
    t = await startTestApp({
      overrides: {
        logging: { level: 'info' },
        server: { body_limit_bytes: 2048 },
        api: {
          keys: [
            { name: 'root', key: ADMIN, roles: ['admin'] },
            { name: 'sam', key: SUBMITTER, roles: ['submitter'] },
          ],
        },
        // jira has no secret: no webhooks.jira entry and no webhooks.default.
        webhooks: { github: { secret: 'gh-secret' } },
      },
      imports: [LogDestinationModule.forStream(logs)],
    });
  });
  afterAll(() => t.close());
  const auth = { 'x-api-key': SUBMITTER };

  it('413 names the limit and server.body_limit_bytes', async () => {
    const res = await request(`${t.url}/api/v1/messages`, {
      headers: auth,
      body: { type: 'generate_plan', data: { d: 'x'.repeat(5000) } },
    });
    expect(res.status).toBe(413);
    expect(res.body).toEqual({
      statusCode: 413,
      error: 'Payload Too Large',
      code: 'BODY_TOO_LARGE',
      message:
        'Request body is larger than 2048 bytes (server.body_limit_bytes): send a smaller body or raise server.body_limit_bytes',
    });
  });

  it('bad JSON names line and column', async () => {
    const res = await request(`${t.url}/api/v1/messages`, {
      headers: auth,
      raw: '{\n  "type": "generate_plan",\n  "data" {}\n}',
    });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ statusCode: 400, code: 'INVALID_JSON' });
    expect(res.body.message).toBe(
      "Request body is not valid JSON at line 3, column 10 (Expected ':' after property name): fix the JSON or its Content-Type",
    );
    // V8 gives no offset for this one: still a line and column.
    const trailing = await request(`${t.url}/api/v1/messages`, {
      headers: auth,
      raw: '{"type": "x", "data": [1,]}',
    });
    expect(trailing.body.message).toBe(
      "Request body is not valid JSON at line 1, column 26 (Unexpected token ']'): fix the JSON or its Content-Type",
    );
  });

  it('an unknown message type lists the known ones', async () => {
    const res = await request(`${t.url}/api/v1/messages`, {
      headers: auth,
      body: { type: 'launch_rocket', data: {} },
    });
    expect(res.status).toBe(422);
    expect(res.body.error).toMatch(
      /^No routing rule for message type: launch_rocket; known types: (\w+, )*assess_risks, (\w+, )*generate_plan, (\w+, )*workflow$/,
    );
  });

  it('a webhook for a service without a secret: the cause only for an admin key, otherwise in the log', async () => {
    const send = (headers: Record<string, string>) =>
      request(`${t.url}/webhooks/jira`, {
        raw: '{}',
        headers: { 'content-type': 'application/json', 'x-hub-signature': 'sha1=00', ...headers },
      });
    const mark = logs.lines.length;
    const anonymous = await send({});
    const submitter = await send({ 'x-api-key': SUBMITTER });
    for (const res of [anonymous, submitter]) {
      expect(res.status).toBe(401);
      expect(res.body.message).toBe('Invalid webhook signature');
      expect(res.text).not.toContain('no secret');
    }
    expect(logs.lines.slice(mark).map((l) => l.msg)).toContain('Refused jira delivery: no_secret');
    const admin = await send({ 'x-api-key': ADMIN });
    expect(admin.status).toBe(401);
    expect(admin.body.message).toBe(
      'Invalid webhook signature: no secret configured for jira; set webhooks.jira.secret',
    );
    // A wrong signature for a service with a secret stays generic, admin or not.
    const github = await request(`${t.url}/webhooks/github`, {
      raw: '{}',
      headers: { 'content-type': 'application/json', 'x-hub-signature-256': 'sha256=00', 'x-api-key': ADMIN },
    });
    expect(github.status).toBe(401);
    expect(github.body.message).not.toContain('no secret');
  });
});
