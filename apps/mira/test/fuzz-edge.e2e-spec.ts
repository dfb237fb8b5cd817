import { createHmac } from 'node:crypto';
import { Agent, request as httpRequest } from 'node:http';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import { MESSAGE_BROKER, type MessageBroker } from '@mira/broker';
import { signMira } from '@mira/webhooks';
import { request, startTestApp, type TestApp } from './support/test-app';

// heapUsed after a full GC is the honest memory figure; expose gc() without a node flag.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const heapAfterGc = () => {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
};

const KEY = 'fuzz-key';
const GH = 'fuzz-gh-secret';
const RUNS_PER_ROUND = 700;
const ROUNDS = 4;

interface FuzzRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: Buffer | null;
}

const agent = new Agent({ keepAlive: true, maxSockets: 8 });

/** Raw HTTP (not fetch): any method, any header value Node lets through, bodies of any bytes. */
async function send(base: URL, r: FuzzRequest): Promise<{ status: number; body: string }> {
  const first = await sendOnce(base, r, agent);
  // A keep-alive socket the server closed after its previous answer (it closes after errors on
  // unread bodies) resets on reuse: that is the client's race, so retry once on a fresh socket.
  return first.status === -2 ? sendOnce(base, r, false) : first;
}

function sendOnce(base: URL, r: FuzzRequest, via: Agent | false): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    let req;
    try {
      req = httpRequest(
        {
          host: base.hostname,
          port: base.port,
          method: r.method,
          path: r.path,
          headers: r.headers,
          agent: via,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
          );
          res.on('error', reject);
        },
      );
    } catch {
      // Node itself refuses some generated header values / paths: nothing reached the server.
      return resolve({ status: -1, body: '' });
    }
    req.on('error', (err: NodeJS.ErrnoException) =>
      // The server may close the connection after answering 413 / 400 before the body is sent;
      // a pooled socket caught in that close (reset, or bytes of the unread body still in flight
      // when the close is parsed: HPE_CLOSED_CONNECTION) is the client's race: retried fresh.
      err.code === 'ECONNRESET' || err.code === 'EPIPE' || err.code === 'HPE_CLOSED_CONNECTION'
        ? resolve({ status: -2, body: '' })
        : reject(err),
    );
    if (r.body) req.end(r.body);
    else req.end();
  });
}

const segment = fc.oneof(
  fc.constantFrom('github', 'trello', 'jira', 'acme', 'x', '..', '%00', '%2e%2e', 'GitHub', '💥'),
  fc.string({ maxLength: 40 }).map(encodeURIComponent),
);

function routeArb(templates: string[]): fc.Arbitrary<string> {
  return fc
    .tuple(
      fc.constantFrom(
        ...templates,
        '/',
        '/api',
        '/api/v1',
        '/api/v2/messages',
        '/webhooks',
        '/nope',
        '/%61pi/v1/agents',
      ),
      segment,
      fc.option(
        fc.string({ maxLength: 60 }).map((s) => `?${encodeURIComponent(s)}=${encodeURIComponent(s)}`),
        { nil: '' },
      ),
      fc.option(fc.constantFrom('/', '//', '/extra', '/../api/v1/agents'), { nil: '' }),
    )
    .map(([tpl, seg, query, tail]) => `${tpl.replace(/\{[^}]+\}/g, seg)}${tail}${query}`);
}

const messageTypes = [
  'generate_plan',
  'update_plan',
  'assess_risks',
  'update_risk',
  'generate_report',
  'schedule_report',
  'assess_governance',
  'check_human_validation',
  'workflow',
];

const bodyArb: fc.Arbitrary<string | null> = fc.oneof(
  { weight: 1, arbitrary: fc.constant(null) },
  { weight: 3, arbitrary: fc.json({ maxDepth: 4 }) },
  { weight: 2, arbitrary: fc.string({ maxLength: 200 }) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '{',
      '{"type":',
      '[]',
      'null',
      '"x"',
      '{"type":"x","data":{}}}',
      '\u0000',
      '{"__proto__":{"a":1}}',
      '{"constructor":{"prototype":{}}}',
      '1e999999',
    ),
  },
  // Well-shaped messages with hostile data reach the agents.
  {
    weight: 4,
    arbitrary: fc
      .record({
        type: fc.constantFrom(...messageTypes),
        data: fc.oneof(fc.object({ maxDepth: 3 }), fc.anything({ maxDepth: 2 })),
      })
      .map((v) => JSON.stringify(v)),
  },
  {
    weight: 3,
    arbitrary: fc
      .record({
        type: fc.constantFrom(...messageTypes),
        data: fc.record(
          {
            goals: fc.anything({ maxDepth: 1 }),
            duration_weeks: fc.oneof(fc.integer(), fc.double(), fc.string()),
            tasks: fc.anything({ maxDepth: 2 }),
            milestones: fc.anything({ maxDepth: 2 }),
            description: fc.anything({ maxDepth: 1 }),
            week_number: fc.anything({ maxDepth: 1 }),
            financial_impact: fc.anything({ maxDepth: 1 }),
            plan: fc.anything({ maxDepth: 1 }),
            updates: fc.anything({ maxDepth: 1 }),
            risk: fc.anything({ maxDepth: 1 }),
            day_of_week: fc.anything({ maxDepth: 1 }),
          },
          { requiredKeys: [] },
        ),
      })
      .map((v) => JSON.stringify(v)),
  },
  {
    weight: 2,
    arbitrary: fc
      .record({
        workflow_type: fc.oneof(fc.constant('project_initialization'), fc.string()),
        data: fc.object({ maxDepth: 2 }),
        governance_data: fc.option(fc.object({ maxDepth: 2 })),
      })
      .map((v) => JSON.stringify(v)),
  },
  {
    weight: 1,
    arbitrary: fc.record({ type: fc.anything(), data: fc.anything() }).map((v) => JSON.stringify(v)),
  },
  // Huge strings: over the 64 KiB body limit configured below, and just under it.
  {
    weight: 1,
    arbitrary: fc
      .constantFrom(70_000, 65_000, 300_000)
      .map((n) => JSON.stringify({ type: 'generate_plan', data: { name: 'x'.repeat(n) } })),
  },
);

const headerValue = fc.oneof(
  fc.string({ maxLength: 100 }),
  fc.constantFrom(
    '',
    ' ',
    'sha256=',
    'sha256=zz',
    't=1,v1=00',
    'Bearer',
    'Bearer  ',
    'Bearer not-the-key',
    'x'.repeat(8000),
  ),
);

function requestArb(templates: string[]): fc.Arbitrary<FuzzRequest> {
  return fc
    .record({
      method: fc.oneof(
        { weight: 6, arbitrary: fc.constantFrom('GET', 'POST', 'HEAD') },
        { weight: 2, arbitrary: fc.constantFrom('PUT', 'DELETE', 'PATCH', 'OPTIONS') },
        { weight: 1, arbitrary: fc.constantFrom('PROPFIND', 'TRACE', 'CONNECT', 'SEARCH', 'FOO') },
      ),
      path: routeArb(templates),
      body: bodyArb,
      contentType: fc.option(
        fc.constantFrom(
          'application/json',
          'application/json; charset=utf-8',
          'text/plain',
          'application/x-www-form-urlencoded',
          'multipart/form-data',
          'application/octet-stream',
          'application/json; charset=latin1',
          '*/*',
          'garbage',
          '',
        ),
        { nil: undefined },
      ),
      auth: fc.constantFrom('none', 'bearer', 'x-api-key', 'wrong'),
      sign: fc.constantFrom('none', 'github', 'mira', 'random'),
      extra: fc.dictionary(
        fc.constantFrom(
          'x-hub-signature-256',
          'x-github-delivery',
          'x-mira-signature',
          'x-trello-webhook',
          'x-hub-signature',
          'authorization',
          'x-api-key',
          'x-forwarded-for',
          'accept',
          'accept-encoding',
          'cookie',
          'x-request-id',
          'origin',
          'transfer-encoding-x',
        ),
        headerValue,
        { maxKeys: 3 },
      ),
    })
    .map(({ method, path, body, contentType, auth, sign, extra }) => {
      const headers: Record<string, string> = {};
      const raw = body === null ? null : Buffer.from(body);
      if (contentType !== undefined) headers['content-type'] = contentType;
      if (auth === 'bearer') headers.authorization = `Bearer ${KEY}`;
      if (auth === 'x-api-key') headers['x-api-key'] = KEY;
      if (auth === 'wrong') headers['x-api-key'] = 'wrong-key';
      const b = raw ?? Buffer.alloc(0);
      if (sign === 'github')
        headers['x-hub-signature-256'] = `sha256=${createHmac('sha256', GH).update(b).digest('hex')}`;
      if (sign === 'mira') headers['x-mira-signature'] = signMira(GH, b, Math.floor(Date.now() / 1000));
      return {
        method,
        path,
        headers: { ...extra, ...headers },
        body: raw && !['GET', 'HEAD'].includes(method) ? raw : null,
      };
    });
}

describe('fuzz: malformed requests across every route (real app)', () => {
  let t: TestApp;
  let templates: string[];

  beforeAll(async () => {
    t = await startTestApp({
      overrides: {
        server: { body_limit_bytes: 65536 },
        api: { keys: [KEY], rate_limit: { enabled: false }, webhook_rate_limit: { enabled: false } },
        webhooks: { github: { secret: GH }, trello: { secret: GH }, jira: { secret: GH } },
        broker: { queue_size: 100000 },
        // Liveness legitimately answers 503 when this shared CI worker stalls its event loop; that
        // is not a response to the fuzzed input, so the stall threshold is out of the way here.
        health: { event_loop_max_lag_ms: 600000 },
      },
    });
    const doc = (await request(`${t.url}/docs/json`)).body;
    templates = [...Object.keys(doc.paths), '/docs', '/docs/json', '/docs/yaml'];
    // Drain published events so the broker queue is not what grows.
    await t.app
      .get<MessageBroker>(MESSAGE_BROKER)
      .subscribe(['webhook.github', 'webhook.trello', 'webhook.jira'], () => undefined);
  });
  afterAll(async () => {
    agent.destroy();
    await t.close();
  });

  it(`answers ${ROUNDS * RUNS_PER_ROUND} malformed requests without a 5xx, stays up and does not leak memory`, async () => {
    const base = new URL(t.url);
    const statuses = new Map<number, number>();
    const heap: number[] = [];
    const samples: string[] = [];
    const arb = requestArb(templates);
    for (let round = 0; round < ROUNDS; round++) {
      await fc.assert(
        fc.asyncProperty(arb, async (r) => {
          const res = await send(base, r);
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
          if ((res.status === -2 || res.status === 403) && process.env.FUZZ_DEBUG && samples.length < 12)
            samples.push(
              `${res.status} ${r.method} ${r.path} ${JSON.stringify(r.headers).slice(0, 200)} body=${r.body?.length} ${res.body.slice(0, 200)}`,
            );
          if (res.status >= 500)
            throw new Error(`${r.method} ${r.path} -> ${res.status} ${res.body.slice(0, 300)}`);
          if (res.status >= 400 && res.body.startsWith('{')) {
            expect(res.body).not.toMatch(/"stack"|node_modules|at \w+ \(/);
            expect(res.body).not.toContain(GH);
          }
        }),
        { numRuns: RUNS_PER_ROUND, seed: 0x5eed + round, endOnFailure: true },
      );
      heap.push(heapAfterGc());
    }
    if (samples.length) console.log(samples.join('\n'));
    const live = await request(`${t.url}/healthz`);
    expect(live.status).toBe(200);
    const served = [...statuses.entries()].filter(([s]) => s > 0).reduce((n, [, c]) => n + c, 0);
    console.log(
      `fuzz: ${served} requests answered (${JSON.stringify(Object.fromEntries([...statuses].sort()))}); heapUsed after GC per round (MB): ${heap.map((h) => (h / 2 ** 20).toFixed(1)).join(', ')}`,
    );
    expect(served).toBeGreaterThan(ROUNDS * RUNS_PER_ROUND * 0.9);
    // Bounded: after the first (warm-up) round, growth stays well below what keeping every
    // request (bodies up to 300 KB) would cost.
    expect(heap[ROUNDS - 1] - heap[0]).toBeLessThan(40 * 2 ** 20);
  }, 120_000);
});
