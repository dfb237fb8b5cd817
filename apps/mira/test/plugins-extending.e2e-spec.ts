import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { MESSAGE_BROKER, type BrokerMessage, type MessageBroker } from '@mira/broker';
import { ConfigStore, loadConfig } from '@mira/config';
import { SecretsService } from '@mira/secrets';
import { createApp } from '../src/app.factory';
import { CalendarClient } from './fixtures/extending/calendar.client';
import { ExtendingModule } from './fixtures/extending/extending.module';
import { RecordingTransportFactory } from './fixtures/extending/recording.transport';
import { repoRoot } from './support/child';
import { request, startTestApp, type TestApp } from './support/test-app';

// The extension points of docs/extending.md, each exercised through the real app over HTTP with
// the very code the guide shows (the last block checks the guide's snippets against the fixtures).

const WEBHOOK_SECRET = 'acme-webhook-secret-4f1d2c';
const SECRET_VALUE = 'calendar-token-9a8b7c';

async function until<T>(fn: () => T | undefined, what: string, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`${what} not seen within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('extending Mira: the guide’s module booted in the real app', () => {
  let t: TestApp;
  let closed = false;
  const received: BrokerMessage<any>[] = [];

  beforeAll(async () => {
    t = await startTestApp({
      imports: [ExtendingModule],
      env: { MIRA_SECRETS_JSON: JSON.stringify({ calendar: { token: SECRET_VALUE } }) },
      overrides: {
        secrets: { backend: 'json-env' },
        integrations: { calendar: { token: 'secret://calendar:token' } },
        webhooks: { acme: { secret: WEBHOOK_SECRET } },
      },
    });
    await t.app.get<MessageBroker>(MESSAGE_BROKER).subscribe('webhook.acme', (m) => {
      received.push(m);
    });
  });
  afterAll(async () => {
    if (!closed) await t.close();
  });

  it('an agent: listed, routed by its message type, its input validated by its schema', async () => {
    const agents = await request(`${t.url}/api/v1/agents`);
    expect(agents.body.agents).toContainEqual(
      expect.objectContaining({ id: 'retro_agent', message_types: ['summarize_retro'], enabled: true }),
    );
    const res = await request(`${t.url}/api/v1/messages`, {
      body: {
        type: 'summarize_retro',
        data: { team: 'Platform', went_well: ['Release'], to_improve: ['Flaky tests', 'On-call load'] },
      },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      agent_id: 'retro_agent',
      status: 'success',
      data: {
        team: 'Platform',
        mood: 'needs_attention',
        actions: ['Follow up: Flaky tests', 'Follow up: On-call load'],
      },
    });
    const bad = await request(`${t.url}/api/v1/messages`, {
      body: { type: 'summarize_retro', data: { went_well: 'x' } },
    });
    expect(bad.status).toBe(422);
    expect(bad.body.error).toMatch(/^Invalid data for summarize_retro: went_well/);
  });

  it('a workflow: its steps run in order, each routed to its agent', async () => {
    const res = await request(`${t.url}/api/v1/workflows`, {
      body: {
        workflow_type: 'sprint_close',
        data: { team: 'Platform', to_improve: ['Flaky tests'], tasks: [{ name: 'a', status: 'completed' }] },
        // Assessed low, so it runs (unassessed work is held by default).
        governance_data: { financial_impact: 0 },
      },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ workflow_type: 'sprint_close', status: 'completed' });
    expect(res.body.steps.map((s: { step: string; status: string }) => [s.step, s.status])).toEqual([
      ['summarize_retro', 'success'],
      ['generate_report', 'success'],
    ]);
    const report = res.body.steps[1].result;
    expect(report.project_name).toBe('Platform');
    expect(report.risks_and_blockers).toEqual([
      { id: 'A1', description: 'Follow up: Flaky tests', severity: 'high' },
    ]);
  });

  it('a health indicator: its check on /healthz, degraded without failing readiness', async () => {
    expect((await request(`${t.url}/healthz`)).body.checks.calendar).toEqual({
      status: 'healthy',
      reason: null,
    });
    const client = t.app.get(CalendarClient);
    client.reachable = false;
    try {
      const health = await request(`${t.url}/healthz`);
      expect(health.status).toBe(200);
      expect(health.body.status).toBe('degraded');
      expect(health.body.checks.calendar).toEqual({
        status: 'degraded',
        reason: 'calendar API unreachable; reminders are queued',
      });
      expect((await request(`${t.url}/healthz/ready`)).status).toBe(200);
    } finally {
      client.reachable = true;
    }
  });

  it('a secrets backend: selected by secrets.backend, resolving secret:// references', async () => {
    expect(t.app.get(ConfigStore).integration('calendar').token).toBe(SECRET_VALUE);
    await expect(t.app.get(SecretsService).get('calendar', 'token')).resolves.toBe(SECRET_VALUE);
    const health = await request(`${t.url}/healthz`);
    expect(health.text).not.toContain(SECRET_VALUE);
  });

  it('a webhook service: verified with its own scheme and secret, published as webhook.<service>', async () => {
    const body = JSON.stringify({ build: 42, result: 'passed' });
    const sign = (secret: string) => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
    const post = (headers: Record<string, string>) =>
      request(`${t.url}/webhooks/acme`, {
        raw: body,
        headers: { 'content-type': 'application/json', ...headers },
      });

    const ok = await post({ 'x-acme-signature': sign(WEBHOOK_SECRET), 'x-acme-event': 'build.finished' });
    expect(ok.status).toBe(202);
    const event = await until(() => received.find((m) => m.data.event === 'build.finished'), 'webhook.acme');
    expect(event.type).toBe('webhook.acme');
    expect(event.data).toMatchObject({ service: 'acme', payload: { build: 42, result: 'passed' } });

    const refusals: Record<string, string>[] = [
      { 'x-acme-signature': sign('not the secret') },
      {},
      { 'x-acme-signature': 'sha256=zz' },
    ];
    for (const headers of refusals) {
      const refused = await post(headers);
      expect(refused.status).toBe(401);
      expect(refused.text).not.toContain(WEBHOOK_SECRET);
    }
  });

  // Last: it closes the app.
  it('a shutdown hook: runs when the application closes', async () => {
    const client = t.app.get(CalendarClient);
    expect(client.closed).toBe(false);
    closed = true;
    await t.close();
    expect(client.closed).toBe(true);
  });
});

describe('extending Mira: a broker transport', () => {
  let app: NestFastifyApplication;
  afterAll(() => app?.close());

  it('is selected by broker.transport and carries the events the API publishes', async () => {
    // The name is valid because the fixture's @BrokerTransport('recording') registered it.
    const loaded = loadConfig({
      file: null,
      env: {},
      overrides: {
        logging: { level: 'silent' },
        shutdown: { drain_delay_ms: 0 },
        state: { sqlite: { path: ':memory:' } },
        broker: { transport: 'recording' },
      },
    });
    app = await createApp({
      config: { preloaded: loaded },
      imports: [ExtendingModule],
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const address = app.getHttpServer().address() as { port: number };
    const url = `http://127.0.0.1:${address.port}`;

    const res = await request(`${url}/api/v1/events`, {
      body: { type: 'retro.done', data: { team: 'Platform' } },
    });
    expect(res.status).toBe(202);
    expect(app.get(RecordingTransportFactory).published).toContain('retro.done');
    expect((await request(`${url}/healthz`)).body.checks.broker).toMatchObject({
      status: 'healthy',
      connected: true,
    });
  });
});

describe('docs/extending.md', () => {
  it('shows each extension point with the code of the fixture the tests above run', () => {
    const guide = readFileSync(join(repoRoot, 'docs/extending.md'), 'utf8');
    const snippets = [...guide.matchAll(/<!-- fixture: (\S+) -->\n```ts\n([\s\S]*?)```/g)].map((m) => ({
      file: m[1],
      code: m[2],
    }));
    expect(snippets.map((s) => s.file)).toEqual([
      'apps/mira/test/fixtures/extending/retro.agent.ts',
      'apps/mira/test/fixtures/extending/sprint-close.workflow.ts',
      'apps/mira/test/fixtures/extending/calendar.health.ts',
      'apps/mira/test/fixtures/extending/calendar.shutdown.ts',
      'apps/mira/test/fixtures/extending/json-env.secrets.ts',
      'apps/mira/test/fixtures/extending/recording.transport.ts',
      'apps/mira/test/fixtures/extending/acme.webhook.ts',
      'apps/mira/test/fixtures/extending/extending.module.ts',
    ]);
    for (const { file, code } of snippets) {
      const source = readFileSync(join(repoRoot, file), 'utf8');
      // A fixture may keep lines out of the guide (test-only imports) above a `// docs:start` line.
      const shown = source.includes('// docs:start\n') ? source.split('// docs:start\n')[1] : source;
      expect([file, code]).toEqual([file, shown]);
    }
  });
});
