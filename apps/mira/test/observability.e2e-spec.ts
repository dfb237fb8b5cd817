import { connect } from 'node:net';
import { Writable } from 'node:stream';
import { Injectable, Logger, Module, type OnApplicationBootstrap, Inject } from '@nestjs/common';
import { PENDING_APPROVAL_EVENT } from '@mira/agents';
import { MESSAGE_BROKER, type BrokerMessage, type MessageBroker } from '@mira/broker';
import { ConfigStore, loadConfig } from '@mira/config';
import { LogDestinationModule, RedactionRegistry, runWithCorrelation } from '@mira/logging';
import { request, startTestApp, type TestApp } from './support/test-app';

type Line = Record<string, any>;

/** Collects the app's log lines (JSON) through the injectable log destination. */
class LogCapture extends Writable {
  readonly lines: Line[] = [];
  readonly raw: string[] = [];
  private rest = '';
  override _write(chunk: Buffer, _enc: string, done: () => void): void {
    const parts = (this.rest + chunk.toString()).split('\n');
    this.rest = parts.pop() ?? '';
    for (const p of parts.filter(Boolean)) {
      this.raw.push(p);
      this.lines.push(JSON.parse(p));
    }
    done();
  }
  since(mark: number): Line[] {
    return this.lines.slice(mark);
  }
}

/** A subscriber of governance.pending_approval, as another module would declare it. */
@Injectable()
class ApprovalSubscriber implements OnApplicationBootstrap {
  private readonly logger = new Logger('ApprovalSubscriber');
  readonly seen: string[] = [];
  constructor(@Inject(MESSAGE_BROKER) private readonly broker: MessageBroker) {}
  async onApplicationBootstrap(): Promise<void> {
    await this.broker.subscribe(PENDING_APPROVAL_EVENT, async (m: BrokerMessage<{ workflow_id: string }>) => {
      await new Promise((r) => setTimeout(r, 5)); // async work inside the handler keeps the context
      this.logger.log(`approval requested for workflow ${m.data.workflow_id}`);
      this.seen.push(m.data.workflow_id);
    });
  }
}
@Module({ providers: [ApprovalSubscriber], exports: [ApprovalSubscriber] })
class ApprovalModule {}

async function until<T>(what: string, fn: () => T | undefined | false, timeoutMs = 10000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A raw HTTP/1.1 request, for header values fetch refuses to send. */
function rawRequest(port: number, headerLines: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let data = '';
    socket.on('data', (c) => (data += c.toString()));
    socket.on('end', () => resolve(data));
    socket.on('error', reject);
    socket.write(
      ['GET /api/v1/agents HTTP/1.1', 'Host: 127.0.0.1', 'Connection: close', ...headerLines, '', ''].join(
        '\r\n',
      ),
    );
  });
}

const GOVERNED_WORKFLOW = {
  workflow_type: 'project_initialization',
  data: { name: 'Apollo', goals: ['design', 'build'] },
  governance_data: { financial_impact: 50000 },
};

describe('observability: logging and correlation (real app, captured log lines)', () => {
  let t: TestApp;
  const capture = new LogCapture();
  let approvals: ApprovalSubscriber;

  beforeAll(async () => {
    t = await startTestApp({
      overrides: { logging: { level: 'debug' } },
      imports: [LogDestinationModule.forStream(capture), ApprovalModule],
    });
    approvals = t.app.get(ApprovalSubscriber);
  });
  afterAll(() => t.close());

  it('writes JSON lines with the standard fields', async () => {
    const mark = capture.lines.length;
    await request(`${t.url}/api/v1/agents`, { headers: { 'x-correlation-id': 'fields-1' } });
    const line = await until('request line', () =>
      capture.since(mark).find((l) => l.correlation_id === 'fields-1' && l.msg === 'request completed'),
    );
    expect(line).toMatchObject({ level: 'info', service: 'mira', pid: process.pid });
    expect(typeof line.version).toBe('string');
    expect(typeof line.hostname).toBe('string');
    expect(new Date(line.time).toISOString()).toBe(line.time);
  });

  it('echoes x-correlation-id and puts it on every line of the request, its agents and its broker subscribers', async () => {
    const mark = capture.lines.length;
    const res = await request(`${t.url}/api/v1/workflows`, {
      headers: { 'x-correlation-id': 'abc-123' },
      body: GOVERNED_WORKFLOW,
    });
    expect(res.status).toBe(202);
    expect(res.body.status).toBe('pending_approval');
    expect(res.headers.get('x-correlation-id')).toBe('abc-123');
    const workflowId = res.body.workflow_id as string;

    // The subscriber of governance.pending_approval logs from its own (broker) scope.
    const handlerLine = await until('subscriber line', () =>
      capture.since(mark).find((l) => l.context === 'ApprovalSubscriber' && l.msg.includes(workflowId)),
    );
    expect(handlerLine.correlation_id).toBe('abc-123');
    expect(handlerLine.workflow_id).toBe(workflowId);
    expect(approvals.seen).toContain(workflowId);

    await until('request line', () => capture.since(mark).find((l) => l.msg === 'request completed'));
    const lines = capture.since(mark).filter((l) => l.correlation_id === 'abc-123');
    const agentLine = lines.find((l) => l.agent_id === 'governance_agent');
    expect(agentLine).toBeDefined();
    expect(agentLine!.workflow_id).toBe(workflowId);
    expect(
      lines.find((l) => l.context === 'WorkflowEngine' && /pending human approval/.test(l.msg)),
    ).toBeDefined();
    // The access line, the orchestrator, the agent and the subscriber at least; and every line
    // about this workflow (request, agents, broker handler) carries the request's id.
    expect(lines.length).toBeGreaterThanOrEqual(4);
    expect(lines.find((l) => l.msg === 'request completed')?.req?.headers?.['x-correlation-id']).toBe(
      'abc-123',
    );
    const aboutWorkflow = capture.since(mark).filter((l) => l.workflow_id === workflowId);
    expect(aboutWorkflow.length).toBeGreaterThanOrEqual(2);
    for (const l of aboutWorkflow) expect(l.correlation_id).toBe('abc-123');
  });

  it('carries the id across the broker: POST /events -> orchestrator -> agent logs the originating id', async () => {
    const mark = capture.lines.length;
    const res = await request(`${t.url}/api/v1/events`, {
      headers: { 'x-correlation-id': 'evt-42' },
      body: { type: 'assess_governance', data: { workflow_id: 'wf-evt-42', financial_impact: 99999 } },
    });
    expect(res.status).toBe(202);
    const agentLine = await until('agent line from broker delivery', () =>
      capture.since(mark).find((l) => l.agent_id === 'governance_agent' && l.workflow_id === 'wf-evt-42'),
    );
    expect(agentLine.correlation_id).toBe('evt-42');
    expect(agentLine.task_id).toBe(res.body.id); // the broker message id
    expect(agentLine.req).toBeUndefined(); // logged from the broker scope, not the HTTP one
  });

  it('never mixes ids between concurrent interleaved requests', async () => {
    const mark = capture.lines.length;
    const n = 24;
    const responses = await Promise.all(
      Array.from({ length: n }, (_, i) =>
        i % 2 === 0
          ? request(`${t.url}/api/v1/workflows`, {
              headers: { 'x-correlation-id': `conc-${i}` },
              body: {
                ...GOVERNED_WORKFLOW,
                governance_data: { workflow_id: `wf-conc-${i}`, financial_impact: 50000 },
              },
            })
          : request(`${t.url}/api/v1/events`, {
              headers: { 'x-correlation-id': `conc-${i}` },
              body: {
                type: 'assess_governance',
                data: { workflow_id: `wf-conc-${i}`, financial_impact: 50000 },
              },
            }),
      ),
    );
    responses.forEach((r, i) => expect(r.headers.get('x-correlation-id')).toBe(`conc-${i}`));
    // Every request produces a governance warning logged under its workflow id (HTTP or broker scope).
    await until('all agent lines', () => {
      const ids = new Set(
        capture
          .since(mark)
          .filter((l) => l.agent_id)
          .map((l) => l.workflow_id),
      );
      return Array.from({ length: n }, (_, i) => `wf-conc-${i}`).every((w) => ids.has(w));
    });
    let checked = 0;
    for (const l of capture.since(mark)) {
      const m = /^wf-conc-(\d+)$/.exec(l.workflow_id ?? '');
      if (m) {
        expect(l.correlation_id).toBe(`conc-${m[1]}`);
        checked++;
      }
      const header = l.req?.headers?.['x-correlation-id'];
      if (header) expect(l.correlation_id).toBe(header);
    }
    expect(checked).toBeGreaterThanOrEqual(n);
  });

  it('replaces malicious or oversized ids with generated ones', async () => {
    const port = Number(new URL(t.url).port);
    const junk = 'x'.repeat(10 * 1024);
    for (const value of [junk, 'a b"c', "id'; DROP TABLE", '../../etc/passwd?x=1', 'ünïcode']) {
      const res = await request(`${t.url}/api/v1/agents`, { headers: { 'x-correlation-id': value } });
      const echoed = res.headers.get('x-correlation-id')!;
      expect(echoed).not.toBe(value);
      expect(echoed).toMatch(/^[0-9a-f-]{36}$/);
    }
    // A value trying to inject a header or a log line via an obsolete line folding.
    const raw = await rawRequest(port, ['X-Correlation-Id: abc', ' injected: yes']);
    const echoed = /x-correlation-id: (.*)\r\n/i.exec(raw)?.[1];
    if (echoed !== undefined) expect(echoed).toMatch(/^[0-9a-f-]{36}$/);
    else expect(raw).toMatch(/^HTTP\/1.1 400/); // the parser refused the request outright
    expect(capture.raw.some((l) => l.includes(junk))).toBe(false);
    expect(capture.raw.some((l) => l.includes('injected'))).toBe(false);
  });

  it('falls back to x-request-id, then the traceparent trace id, and echoes the id on 4xx too', async () => {
    const byRequestId = await request(`${t.url}/nope`, { headers: { 'x-request-id': 'req-777' } });
    expect(byRequestId.status).toBe(404);
    expect(byRequestId.headers.get('x-correlation-id')).toBe('req-777');
    const trace = '4bf92f3577b34da6a3ce929d0e0e4736';
    const byTrace = await request(`${t.url}/api/v1/messages`, {
      headers: { traceparent: `00-${trace}-00f067aa0ba902b7-01` },
      raw: '{not json',
    });
    expect(byTrace.status).toBe(400);
    expect(byTrace.headers.get('x-correlation-id')).toBe(trace);
    const badTrace = await request(`${t.url}/api/v1/agents`, { headers: { traceparent: 'garbage' } });
    expect(badTrace.headers.get('x-correlation-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('redacts credential headers and registered secret values, message text included', async () => {
    const secret = 'vault-s3cr3t-value-9f8e';
    const registry = t.app.get(RedactionRegistry);
    registry.register(secret);
    try {
      const mark = capture.lines.length;
      await request(`${t.url}/api/v1/agents`, {
        headers: {
          'x-correlation-id': 'redact-1',
          authorization: 'Bearer top-secret-token',
          'x-api-key': 'key-123456',
          cookie: 'session=abcdef',
          referer: `https://example.test/prefix-${secret}-suffix`,
        },
      });
      runWithCorrelation(() => new Logger('SecretsTest').log(`connected with token ${secret}`), 'redact-2');
      const reqLine = await until('request line', () =>
        capture.since(mark).find((l) => l.correlation_id === 'redact-1' && l.msg === 'request completed'),
      );
      // Credential headers never reach the access line (allow-listed headers only)...
      expect(reqLine.req.headers).not.toHaveProperty('authorization');
      expect(reqLine.req.headers).not.toHaveProperty('x-api-key');
      expect(reqLine.req.headers).not.toHaveProperty('cookie');
      // ...and a registered secret value is masked inside any logged value.
      expect(reqLine.req.headers.referer).toBe('https://example.test/prefix-[REDACTED]-suffix');
      // Hand-written log objects: credential headers and known sensitive fields are redacted.
      runWithCorrelation(
        () =>
          new Logger('RedactTest').log({
            msg: 'outbound call',
            headers: { authorization: 'Bearer hand-logged-token' },
            password: 'pw-123456',
            nested: { token: 'tok-987654' },
          }),
        'redact-3',
      );
      const handLine = await until('hand-written line', () =>
        capture.since(mark).find((l) => l.correlation_id === 'redact-3'),
      );
      expect(handLine.headers.authorization).toBe('[REDACTED]');
      expect(handLine.password).toBe('[REDACTED]');
      expect(handLine.nested.token).toBe('[REDACTED]');
      const msgLine = await until('message line', () =>
        capture.since(mark).find((l) => l.correlation_id === 'redact-2'),
      );
      expect(msgLine.msg).toBe('connected with token [REDACTED]');
      const written = capture.raw.slice(mark).join('\n');
      for (const s of [
        secret,
        'top-secret-token',
        'key-123456',
        'session=abcdef',
        'hand-logged-token',
        'pw-123456',
        'tok-987654',
      ])
        expect(written).not.toContain(s);
    } finally {
      registry.unregister(secret);
    }
  });

  it('writes no access line for probe paths (logging.access_log_exclude) but still echoes their id', async () => {
    const mark = capture.lines.length;
    const probe = await request(`${t.url}/healthz/live`, { headers: { 'x-correlation-id': 'probe-1' } });
    expect(probe.status).toBe(200);
    expect(probe.headers.get('x-correlation-id')).toBe('probe-1');
    await request(`${t.url}/api/v1/agents`, { headers: { 'x-correlation-id': 'after-probe-1' } });
    await until('the later request line', () =>
      capture.since(mark).find((l) => l.correlation_id === 'after-probe-1' && l.msg === 'request completed'),
    );
    expect(
      capture.since(mark).filter((l) => l.correlation_id === 'probe-1' || l.req?.url === '/healthz/live'),
    ).toEqual([]);
  });

  it('masks credential query parameters of any path in the access line, adversarial `://a.a.a` queries included', async () => {
    const mark = capture.lines.length;
    const evil = `://${'a.'.repeat(4000)}`;
    const res = await request(`${t.url}/api/v1/agents?access_token=tok-e2e-1&q=${evil}&page=2`, {
      headers: { 'x-correlation-id': 'mask-1' },
    });
    expect(res.status).toBe(200);
    const line = await until('the access line', () =>
      capture.since(mark).find((l) => l.correlation_id === 'mask-1' && l.msg === 'request completed'),
    );
    expect(line.req.url).toBe(`/api/v1/agents?access_token=[redacted]&q=${evil}&page=2`);
    expect(JSON.stringify(capture.since(mark))).not.toContain('tok-e2e-1');
  });

  it('echoes the id and writes a warn access line for a request refused before routing completes (415, 400, 404)', async () => {
    const mark = capture.lines.length;
    const refused = [
      ['ct-415', { headers: { 'content-type': 'text/plain' }, body: 'x' }, 415, '/api/v1/messages'],
      [
        'json-400',
        { headers: { 'content-type': 'application/json' }, body: '{bad' },
        400,
        '/api/v1/messages',
      ],
      ['none-404', { method: 'GET' }, 404, '/no-such-route'],
    ] as const;
    for (const [id, init, status, path] of refused) {
      const res = await fetch(`${t.url}${path}`, {
        method: 'POST',
        ...init,
        headers: { ...('headers' in init ? init.headers : {}), 'x-correlation-id': id },
      });
      expect(res.status).toBe(status);
      expect(res.headers.get('x-correlation-id')).toBe(id);
    }
    for (const [id, , status] of refused) {
      const line = await until(`access line of ${id}`, () =>
        capture.since(mark).find((l) => l.correlation_id === id && l.msg === 'request completed'),
      );
      expect(line).toMatchObject({ level: 'warn', req: { id }, res: { statusCode: status } });
    }
  });

  it('applies a logging.level change from config without a restart', async () => {
    const store = t.app.get(ConfigStore);
    const withLevel = (level: string) =>
      loadConfig({
        file: null,
        env: {},
        overrides: { ...store.current, logging: { ...store.current.logging, level } },
      });
    const requestLine = async (id: string, path = '/api/v1/agents') => {
      const mark = capture.lines.length;
      await request(`${t.url}${path}`, { headers: { 'x-correlation-id': id } });
      // A marker line written after the request: once it is there, the request line would be too.
      runWithCorrelation(() => new Logger('Marker').warn('marker'), `${id}-marker`);
      await until('marker', () => capture.since(mark).find((l) => l.correlation_id === `${id}-marker`));
      return capture.since(mark).find((l) => l.correlation_id === id && l.msg === 'request completed');
    };
    expect(await requestLine('lvl-before')).toBeDefined();
    store.replace(withLevel('warn'));
    expect(await requestLine('lvl-warn')).toBeUndefined(); // info is now below the level
    expect((await requestLine('lvl-warn-404', '/nope'))?.level).toBe('warn'); // 4xx lines are warnings
    store.replace(withLevel('debug'));
    expect(await requestLine('lvl-after')).toBeDefined();
  });
});
