import { randomBytes } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { freePort } from './support/child';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from './support/otlp-receiver';
import { useCluster, waitReady } from './support/cluster';
import { builtEntry, eventually, startService, type ServiceProcess } from './support/service-process';

// OpenTelemetry end to end: the BUILT service as child processes exporting over OTLP/HTTP to a
// receiver in this test that decodes what the SDK's exporter sends (support/otlp-receiver.ts).

const hex = (bytes: number) => randomBytes(bytes).toString('hex');
const started: ServiceProcess[] = [];
const cleanups: (() => Promise<void>)[] = [];

async function start(...args: Parameters<typeof startService>): Promise<ServiceProcess> {
  const s = await startService(...args);
  started.push(s);
  await waitReady(s);
  return s;
}

/** Spans are batched: export after 100 ms instead of the SDK's 5 s. */
const tracingEnv = (receiver: { url: string }, extra: Record<string, string> = {}) => ({
  OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
  OTEL_BSP_SCHEDULE_DELAY: '100',
  ...extra,
});

const BODY_MARKER = `body-marker-${hex(6)}`;
const WORKFLOW = {
  workflow_type: 'project_initialization',
  data: { name: BODY_MARKER, description: 'urgent', goals: ['design', 'build'], duration_weeks: 4 },
  governance_data: { financial_impact: 500 },
};

async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  return { status: res.status, body: (await res.json()) as any };
}

function child(spans: ReceivedSpan[], parent: ReceivedSpan, name: string): ReceivedSpan {
  const found = spans.filter((s) => s.parentSpanId === parent.spanId && s.name === name);
  if (found.length !== 1)
    throw new Error(
      `expected one "${name}" under "${parent.name}", found ${found.length}; children: ${spans
        .filter((s) => s.parentSpanId === parent.spanId)
        .map((s) => s.name)
        .join(', ')}`,
    );
  return found[0];
}

describe('tracing (OpenTelemetry over OTLP/HTTP, built service)', () => {
  let receiver: OtlpReceiver;

  beforeAll(async () => {
    builtEntry();
    receiver = await startOtlpReceiver();
  }, 180_000);

  afterAll(async () => {
    await Promise.all(started.map((s) => s.kill()));
    await receiver?.close();
    for (const c of cleanups) await c();
  });

  it('one request with an incoming traceparent is one trace: server span, routing, workflow steps, agents, broker; logs carry the ids', async () => {
    const service = await start({ env: tracingEnv(receiver, { OTEL_SERVICE_NAME: 'mira-e2e' }) });
    const traceId = hex(16);
    const callerSpan = hex(8);
    const res = await post(`${service.url}/api/v1/workflows`, WORKFLOW, {
      traceparent: `00-${traceId}-${callerSpan}-01`,
    });
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('completed');
    const workflowId: string = res.body.workflow_id;

    const spans = await receiver.waitFor((all) => {
      const mine = all.filter((s) => s.traceId === traceId);
      return mine.some((s) => s.kind === 'SERVER') &&
        mine.some((s) => s.name === 'send workflow.completed') &&
        mine.filter((s) => s.name.startsWith('mira.agent ')).length === 4
        ? mine
        : undefined;
    });
    // Protobuf, the OTLP default.
    expect(receiver.contentTypes()[0]).toMatch(/^application\/x-protobuf/);
    expect(spans[0].resource['service.name']).toBe('mira-e2e');

    // The incoming request's span continues the caller's trace.
    const server = spans.find((s) => s.kind === 'SERVER')!;
    expect(server.parentSpanId).toBe(callerSpan);
    expect(server.name).toBe('POST /api/v1/workflows');
    expect(server.attributes['http.route']).toBe('/api/v1/workflows');
    expect(server.attributes['http.request.method'] ?? server.attributes['http.method']).toBe('POST');
    expect(server.attributes['http.response.status_code'] ?? server.attributes['http.status_code']).toBe(200);

    const workflow = child(spans, server, 'mira.workflow project_initialization');
    expect(workflow.attributes['mira.workflow.id']).toBe(workflowId);
    // Governance first, through the router to the governance agent.
    const gate = child(spans, workflow, 'mira.route assess_governance');
    child(spans, gate, 'mira.agent governance_agent');
    const agents: Record<string, string> = {
      generate_plan: 'project_plan_agent',
      assess_risks: 'risk_assessment_agent',
      generate_report: 'status_reporter_agent',
    };
    for (const [step, agentId] of Object.entries(agents)) {
      const stepSpan = child(spans, workflow, `mira.workflow.step ${step}`);
      expect(stepSpan.attributes['mira.workflow.id']).toBe(workflowId);
      const stepRoute = child(spans, stepSpan, `mira.route ${step}`);
      const agent = child(spans, stepRoute, `mira.agent ${agentId}`);
      expect(agent.attributes).toMatchObject({ 'mira.agent.id': agentId, 'mira.message.type': step });
    }
    // The completion event's producer span is in the same trace, with messaging.* attributes.
    const producer = spans.find((s) => s.name === 'send workflow.completed')!;
    expect(producer.kind).toBe('PRODUCER');
    expect(producer.attributes).toMatchObject({
      'messaging.system': 'mira.memory',
      'messaging.destination.name': 'workflow.completed',
      'messaging.operation.type': 'send',
    });
    // One trace, and no request body in any attribute.
    expect(new Set(spans.map((s) => s.traceId))).toEqual(new Set([traceId]));
    expect(JSON.stringify(receiver.spans())).not.toContain(BODY_MARKER);

    // Log lines written inside the request carry the trace id and a span id of this trace.
    const ids = new Set(spans.map((s) => s.spanId));
    const lines = service.logs().filter((l) => l.trace_id === traceId);
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(ids.has(String(line.span_id))).toBe(true);
    expect(lines.some((l) => l.msg === 'request completed')).toBe(true);
  }, 90_000);

  it('JSON when OTEL_EXPORTER_OTLP_PROTOCOL=http/json; sampling ratio 0 records no new trace but keeps sampled parents', async () => {
    const json = await startOtlpReceiver();
    cleanups.push(() => json.close());
    const service = await start({
      env: tracingEnv(json, {
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
        OTEL_TRACES_SAMPLER_ARG: '0',
      }),
    });
    const unsampled = await post(`${service.url}/api/v1/messages`, { type: 'generate_plan', data: {} });
    expect(unsampled.status).toBe(200);
    const traceId = hex(16);
    const sampled = await post(
      `${service.url}/api/v1/messages`,
      { type: 'generate_plan', data: {} },
      { traceparent: `00-${traceId}-${hex(8)}-01` },
    );
    expect(sampled.status).toBe(200);
    const spans = await json.waitFor((all) =>
      all.some((s) => s.traceId === traceId && s.name === 'mira.agent project_plan_agent') ? all : undefined,
    );
    expect(json.contentTypes().every((t) => t.startsWith('application/json'))).toBe(true);
    // Only the sampled parent's trace was recorded.
    expect(new Set(spans.map((s) => s.traceId))).toEqual(new Set([traceId]));
  }, 90_000);

  it('a collector that is down (refusing, or accepting and never answering) changes no HTTP answer and adds no wait; drops are counted', async () => {
    // A black hole: accepts connections and never answers (the worst case for an exporter).
    const sockets: Socket[] = [];
    const hole: Server = createServer((s) => void sockets.push(s));
    const holePort = await freePort();
    await new Promise<void>((r) => hole.listen(holePort, '127.0.0.1', r));
    cleanups.push(async () => {
      sockets.forEach((s) => s.destroy());
      await new Promise<void>((r) => hole.close(() => r()));
    });
    const refusedPort = await freePort();
    const small = {
      MIRA_TRACING__MAX_QUEUE_SIZE: '20',
      MIRA_TRACING__EXPORT_TIMEOUT_MS: '500',
    };
    const [off, refused, blackhole] = await Promise.all([
      start({}),
      start({ env: tracingEnv({ url: `http://127.0.0.1:${refusedPort}` }, small) }),
      start({ env: tracingEnv({ url: `http://127.0.0.1:${holePort}` }, small) }),
    ]);

    // Same requests to each: the answers must be the same (timestamps and generated ids aside).
    const normalise = (body: any) =>
      JSON.parse(
        JSON.stringify(body)
          .replace(/"\d{4}-\d\d-\d\dT[^"]+"/g, '"<time>"')
          .replace(/"[0-9a-f]{8}-[0-9a-f-]{27}"/g, '"<id>"'),
      );
    const requests = [
      { path: '/api/v1/messages', body: { type: 'generate_plan', data: { name: 'x', goals: ['a'] } } },
      { path: '/api/v1/messages', body: { type: 'unknown_type', data: {} } },
      { path: '/api/v1/messages', body: { type: 'generate_plan' } },
      { path: '/api/v1/events', body: { type: 'generate_report', data: { name: 'x' } } },
    ];
    for (const r of requests) {
      const answers = await Promise.all(
        [off, refused, blackhole].map((s) => post(`${s.url}${r.path}`, r.body)),
      );
      expect(answers[1].status).toBe(answers[0].status);
      expect(answers[2].status).toBe(answers[0].status);
      if (r.path !== '/api/v1/events') {
        expect(normalise(answers[1].body)).toEqual(normalise(answers[0].body));
        expect(normalise(answers[2].body)).toEqual(normalise(answers[0].body));
      }
    }

    // Latency: many sequential requests each, interleaved so machine load hits all three alike.
    // The bound is generous (a dead collector must not add a network timeout, 500 ms here, to
    // any request); what it catches is a request waiting on the exporter.
    const times: number[][] = [[], [], []];
    for (let i = 0; i < 60; i++) {
      for (const [k, s] of [off, refused, blackhole].entries()) {
        const t0 = performance.now();
        const res = await post(`${s.url}/api/v1/messages`, { type: 'generate_plan', data: { goals: ['a'] } });
        times[k].push(performance.now() - t0);
        expect(res.status).toBe(200);
      }
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const max = (xs: number[]) => Math.max(...xs);
    expect(median(times[1])).toBeLessThan(median(times[0]) * 3 + 20);
    expect(median(times[2])).toBeLessThan(median(times[0]) * 3 + 20);
    expect(max(times[2])).toBeLessThan(450);

    // Every span was lost, and /metrics says so.
    const dropped = async (s: ServiceProcess) => {
      const text = await (await fetch(`${s.url}/metrics`)).text();
      return Number(/^mira_tracing_spans_dropped_total (\S+)$/m.exec(text)?.[1] ?? NaN);
    };
    await eventually(async () => (await dropped(refused)) > 0, 20_000, 'dropped spans counted (refused)');
    await eventually(
      async () => (await dropped(blackhole)) > 0,
      20_000,
      'dropped spans counted (black hole)',
    );
    expect(await dropped(off)).toBe(0);

    // The shutdown flush is bounded: SIGTERM still exits promptly with a dead collector.
    const exit = await blackhole.signal('SIGTERM').exit;
    expect(exit.code).toBe(0);
  }, 180_000);

  describe('across replicas over a real redis-server', () => {
    const cluster = useCluster({ build: false, setupTimeoutMs: 60_000 });

    it("an event published on one process and handled on another is one trace: the consumer span is the producer span's child", async () => {
      const config = { ...(await cluster.shared('tracing_two')), shutdown: { drain_delay_ms: 0 } };
      // Only B subscribes to test.slow_event, so what A publishes is handled on B.
      const a = await cluster.start({
        config,
        env: tracingEnv(receiver, { OTEL_RESOURCE_ATTRIBUTES: 'service.instance.id=replica-a' }),
      });
      const b = await cluster.start({
        config,
        spec: { subscribers: true },
        env: tracingEnv(receiver, { OTEL_RESOURCE_ATTRIBUTES: 'service.instance.id=replica-b' }),
      });
      const traceId = hex(16);
      const tag = `t-${hex(4)}`;
      const res = await post(
        `${a.url}/api/v1/events`,
        { type: 'test.slow_event', data: { ms: 10, tag } },
        { traceparent: `00-${traceId}-${hex(8)}-01` },
      );
      expect(res.status).toBe(202);
      await b.waitForLog(new RegExp(`broker handler finished ${tag}`));

      const spans = await receiver.waitFor((all) => {
        const mine = all.filter((s) => s.traceId === traceId);
        return mine.some((s) => s.kind === 'CONSUMER') ? mine : undefined;
      });
      const producer = spans.find((s) => s.kind === 'PRODUCER' && s.name === 'send test.slow_event')!;
      const consumer = spans.find((s) => s.kind === 'CONSUMER' && s.name === 'process test.slow_event')!;
      expect(producer.resource['service.instance.id']).toBe('replica-a');
      expect(consumer.resource['service.instance.id']).toBe('replica-b');
      expect(consumer.parentSpanId).toBe(producer.spanId);
      expect(producer.attributes).toMatchObject({
        'messaging.system': 'redis',
        'messaging.destination.name': 'test.slow_event',
      });
      expect(consumer.attributes['messaging.message.id']).toBe(res.body.id);
      // The producer sits under A's request span; Redis commands get client spans (ioredis).
      const server = spans.find(
        (s) => s.kind === 'SERVER' && s.resource['service.instance.id'] === 'replica-a',
      )!;
      expect(producer.parentSpanId).not.toBe('');
      expect(spans.some((s) => s.spanId === producer.parentSpanId)).toBe(true);
      expect(server).toBeDefined();
      // ioredis client spans inside the trace, with the command name only (never its arguments).
      const redisSpans = spans.filter((s) => s.kind === 'CLIENT' && /redis/i.test(s.scope));
      expect(redisSpans.length).toBeGreaterThan(0);
      for (const s of redisSpans)
        expect(String(s.attributes['db.statement'] ?? s.attributes['db.query.text'] ?? '')).not.toMatch(/\s/);
      // B's handler log lines carry the same trace and the consumer's span.
      const handlerLines = b.logs().filter((l) => String(l.msg).includes(tag));
      expect(handlerLines.length).toBeGreaterThan(0);
      for (const line of handlerLines) {
        expect(line.trace_id).toBe(traceId);
        expect(line.span_id).toBe(consumer.spanId);
      }
    }, 120_000);
  });
});
