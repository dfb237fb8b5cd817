import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { builtEntry, send, startService, eventually, type ServiceProcess } from './support/service-process';

/**
 * (startService writes its own `server` section, so server keys come as MIRA_SERVER__* variables,
 * which also covers their environment parsing.)
 *
 * Edge limits of the built service, run as a child process (issue 16 items 5, 6, 9, 10): input
 * and answer size, nesting depth, slow clients, and the client address behind a proxy.
 */

/** Peak resident memory of a process (VmHWM, KiB -> MiB). */
function peakRssMiB(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmHWM for ${pid}`);
  return Number(m[1]) / 1024;
}

// Building dist/ (or waiting for another worker's build) comes first; then each service starts in seconds.
beforeAll(() => {
  builtEntry();
}, 180_000);
const START_MS = 60_000;

const message = (url: string, type: string, data: unknown, headers: Record<string, string> = {}) =>
  fetch(`${url}/api/v1/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ type, data }),
  }).then(async (res) => ({ status: res.status, body: (await res.json()) as Record<string, any> }));

describe('input and answer size (item 5)', () => {
  let svc: ServiceProcess;
  beforeAll(async () => {
    svc = await startService();
  }, START_MS);
  afterAll(() => svc?.kill());

  it('answers generate_plan with 200,000 goals 422 naming the limit, without the memory to build the plan', async () => {
    // The request: 781 KiB of one-letter goals, under the 1 MiB body limit.
    const goals = new Array<string>(200_000).fill('g');
    const res = await send(`${svc.url}/api/v1/messages`, {
      body: { type: 'generate_plan', data: { goals } },
    });
    const peak = peakRssMiB(svc.child.proc.pid!);
    process.stderr.write(`edge-limits: peak RSS after 200,000 goals: ${peak.toFixed(0)} MiB\n`);
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({ agent_id: 'project_plan_agent', status: 'error' });
    expect(res.body.error).toContain('goals: at most 1000 items');
    // The manifests' memory limit is 512 Mi; before the limits this request peaked at ~669 MiB.
    expect(peak).toBeLessThan(256);
    expect((await send(`${svc.url}/healthz/live`)).status).toBe(200);
  });

  it('still plans a real project: 1,000 goals', async () => {
    const goals = Array.from({ length: 1000 }, (_, i) => `Goal ${i}`);
    const res = await message(svc.url, 'generate_plan', { name: 'Big', goals, duration_weeks: 52 });
    expect(res.status).toBe(200);
    expect(res.body.data.milestones).toHaveLength(1000);
    expect(res.body.data.tasks).toHaveLength(3000);
  });

  it('names the per-field limits of the other agents', async () => {
    const long = 'x'.repeat(501);
    expect((await message(svc.url, 'generate_plan', { goals: [long] })).body.error).toContain(
      'goals.0: at most 500 characters',
    );
    const tasks = new Array(10_001).fill(0);
    expect((await message(svc.url, 'assess_risks', { tasks })).body.error).toContain(
      'tasks: at most 10000 items',
    );
    const recipients = new Array<string>(101).fill('a@example.com');
    const scheduled = await message(svc.url, 'schedule_report', { recipients });
    expect(scheduled.status).toBe(422);
    expect(scheduled.body.error).toContain('recipients: at most 100 items');
  });
});

describe('answer size cap (item 5)', () => {
  let svc: ServiceProcess;
  beforeAll(async () => {
    svc = await startService({ env: { MIRA_SERVER__MAX_RESPONSE_BYTES: String(64 * 1024) } });
  }, START_MS);
  afterAll(() => svc?.kill());

  it('refuses an answer over server.max_response_bytes with a 422 naming the limit, and serves small ones', async () => {
    const goals = Array.from({ length: 1000 }, (_, i) => `Goal ${i}`);
    const big = await message(svc.url, 'generate_plan', { goals });
    expect(big.status).toBe(422);
    expect(big.body).toMatchObject({ statusCode: 422, code: 'RESPONSE_TOO_LARGE' });
    expect(big.body.message).toMatch(/over server\.max_response_bytes \(65536\)/);
    const small = await message(svc.url, 'generate_plan', { goals: ['Design', 'Build'] });
    expect(small.status).toBe(200);
    expect(small.body.data.tasks).toHaveLength(6);
  });
});

describe('nesting depth (item 6)', () => {
  let svc: ServiceProcess;
  beforeAll(async () => {
    svc = await startService();
  }, START_MS);
  afterAll(() => svc?.kill());

  /** `{"child":{"child":...{"leaf":true}...}}`, written as text: JSON.stringify itself overflows on it. */
  const nested = (levels: number) => `${'{"child":'.repeat(levels)}{"leaf":true}${'}'.repeat(levels)}`;
  const updatePlan = (plan: string, updates: string) =>
    fetch(`${svc.url}/api/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: `{"type":"update_plan","data":{"plan":${plan},"updates":${updates}}}`,
    }).then(async (res) => ({ status: res.status, body: (await res.json()) as Record<string, any> }));

  it('answers update_plan nested 5,000 levels 400 naming server.max_json_depth, and keeps serving', async () => {
    const res = await updatePlan(nested(5000), '{}');
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ statusCode: 400, code: 'JSON_TOO_DEEP' });
    expect(res.body.message).toContain('server.max_json_depth (64 levels)');
    expect((await send(`${svc.url}/healthz/live`)).status).toBe(200);
    expect(svc.child.proc.exitCode).toBeNull();
  });

  it('accepts data nested within the limit', async () => {
    const res = await updatePlan(nested(40), '{"status":"x"}');
    expect(res.status).toBe(200);
    expect(res.body.data.status).toBe('x');
  });
});

/** `promise`'s value, or null when it has not settled within `ms`. */
async function within<T>(promise: Promise<T>, ms: number): Promise<T | null> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<null>((r) => (timer = setTimeout(() => r(null), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

interface SlowClient {
  closed: Promise<{ afterMs: number; answer: string }>;
  stop(): void;
}

/** Sends request headers, then the body one byte every 200 ms, until the server closes the socket. */
function slowClient(url: string, opening: string): SlowClient {
  const { hostname, port } = new URL(url);
  const socket: Socket = connect(Number(port), hostname);
  const started = Date.now();
  let answer = '';
  let timer: NodeJS.Timeout | undefined;
  socket.setEncoding('utf8');
  socket.on('data', (d: string) => (answer += d));
  socket.on('error', () => undefined);
  socket.on('connect', () => {
    socket.write(opening);
    timer = setInterval(() => socket.write('{'), 200);
  });
  const closed = new Promise<{ afterMs: number; answer: string }>((resolve) =>
    socket.on('close', () => {
      clearInterval(timer);
      resolve({ afterMs: Date.now() - started, answer });
    }),
  );
  return {
    closed,
    stop: () => {
      clearInterval(timer);
      socket.destroy();
    },
  };
}

const slowBody =
  'POST /api/v1/messages HTTP/1.1\r\nHost: mira\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n';

describe.each([true, false])('slow clients, health fast path %s (item 9)', (fastPath) => {
  let svc: ServiceProcess;
  beforeAll(async () => {
    svc = await startService({
      config: { health: { fast_path: fastPath } },
      env: { MIRA_SERVER__REQUEST_TIMEOUT_MS: '1000' },
    });
  }, START_MS);
  afterAll(() => svc?.kill());

  it('closes 50 connections sending a body one byte at a time after server.request_timeout_ms', async () => {
    const clients = Array.from({ length: 50 }, () => slowClient(svc.url, slowBody));
    try {
      // Without a request timeout these stay open as long as bytes trickle in: wait well past the limit.
      const results = await within(Promise.all(clients.map((c) => c.closed)), 10000);
      expect(results).not.toBeNull();
      for (const r of results!) {
        expect(r.afterMs).toBeGreaterThanOrEqual(900);
        expect(r.answer === '' || r.answer.startsWith('HTTP/1.1 408')).toBe(true);
      }
      expect(results!.some((r) => r.answer.startsWith('HTTP/1.1 408'))).toBe(true);
    } finally {
      clients.forEach((c) => c.stop());
    }
    // Ordinary requests are unaffected.
    const res = await message(svc.url, 'generate_plan', { goals: ['Design'] });
    expect(res.status).toBe(200);
    expect((await send(`${svc.url}/healthz/ready`)).status).toBe(200);
  });
});

describe('idle sockets (item 9)', () => {
  let svc: ServiceProcess;
  beforeAll(async () => {
    // No request timeout: only the idle timeout can cut a socket that sends nothing.
    svc = await startService({
      env: { MIRA_SERVER__REQUEST_TIMEOUT_MS: '0', MIRA_SERVER__IDLE_TIMEOUT_MS: '1000' },
    });
  }, START_MS);
  afterAll(() => svc?.kill());

  it('closes a connection that sends nothing after server.idle_timeout_ms', async () => {
    const { hostname, port } = new URL(svc.url);
    const socket = connect(Number(port), hostname);
    socket.on('error', () => undefined);
    const closed = new Promise<boolean>((resolve) => socket.on('close', () => resolve(true)));
    try {
      expect(await within(closed, 10000)).toBe(true);
    } finally {
      socket.destroy();
    }
    expect((await send(`${svc.url}/healthz/ready`)).status).toBe(200);
  });
});

/** Access lines for the requests that carried `id` as their correlation id. */
async function accessLine(svc: ServiceProcess, id: string): Promise<Record<string, any>> {
  return eventually(
    async () => svc.logs().find((l) => l.msg === 'request completed' && (l as any).correlation_id === id),
    5000,
    `the access line of ${id}`,
  );
}

const getAgents = (url: string, headers: Record<string, string>) =>
  fetch(`${url}/api/v1/agents`, { headers }).then(async (r) => (await r.text(), r.status));

describe('behind a proxy (item 10)', () => {
  const rateLimit = { rate_limit: { limit: 3, window_ms: 60000 } };

  describe('with server.trust_proxy: [127.0.0.1]', () => {
    let svc: ServiceProcess;
    beforeAll(async () => {
      svc = await startService({
        config: { api: rateLimit },
        env: { MIRA_SERVER__TRUST_PROXY: '127.0.0.1' },
      });
    }, START_MS);
    afterAll(() => svc?.kill());

    it('gives each forwarded client its own rate-limit bucket and logs its address', async () => {
      const a = { 'x-forwarded-for': '203.0.113.7' };
      const b = { 'x-forwarded-for': '203.0.113.8' };
      const statusesA: number[] = [];
      for (let i = 0; i < 4; i++) statusesA.push(await getAgents(svc.url, a));
      expect(statusesA).toEqual([200, 200, 200, 429]);
      expect(await getAgents(svc.url, b)).toBe(200);

      expect(await getAgents(svc.url, { ...b, 'x-correlation-id': 'proxy-client-b' })).toBe(200);
      const line = await accessLine(svc, 'proxy-client-b');
      expect(line.req.remoteAddress).toBe('203.0.113.8');
    });
  });

  describe('without server.trust_proxy (default)', () => {
    let svc: ServiceProcess;
    beforeAll(async () => {
      svc = await startService({ config: { api: rateLimit } });
    }, START_MS);
    afterAll(() => svc?.kill());

    it('ignores X-Forwarded-For: a client cannot dodge the limit by inventing addresses', async () => {
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++)
        statuses.push(await getAgents(svc.url, { 'x-forwarded-for': `198.51.100.${i + 1}` }));
      expect(statuses).toEqual([200, 200, 200, 429]);
      // The log shows the socket peer, not the claimed address.
      expect(
        await getAgents(svc.url, { 'x-forwarded-for': '198.51.100.99', 'x-correlation-id': 'spoofer' }),
      ).toBe(429);
      const line = await eventually(
        async () => svc.logs().find((l) => (l as any).correlation_id === 'spoofer' && (l as any).req),
        5000,
        'the access line of the spoofer',
      );
      expect((line as any).req.remoteAddress).toBe('127.0.0.1');
    });
  });
});
