import { writeFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { join } from 'node:path';
import {
  eventually,
  get,
  send,
  useBuiltServices,
  tempDir,
  type HttpResult,
  type ServiceProcess,
} from './support/service-process';

// The built service as a child process, real signals, real HTTP. Timings are bounds generous
// enough for a loaded 2-core machine; ordering and counts are what is asserted.

/** Rate limiting off: the load client is one IP sending far more than a user would. */
const base = { api: { rate_limit: { enabled: false } } };
const plan = { type: 'generate_plan', data: { name: 'p', goals: ['a', 'b'] } };

const hookLines = (s: ServiceProcess) =>
  s
    .logs()
    .map((l) =>
      /^Shutdown hook "([^"]+)" \(priority (\d+)\) (completed|failed|timed out|skipped)/.exec(l.msg),
    )
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ name: m[1], priority: Number(m[2]), outcome: m[3] }));

describe('lifecycle of the built service (child process, real signals)', () => {
  const start = useBuiltServices(180_000);

  it('rolling deploy under steady load: nothing fails, liveness stays 200, exit 0 in time', async () => {
    const drainDelay = 2500;
    const deadline = 10000;
    const s = await start({
      config: { ...base, shutdown: { drain_delay_ms: drainDelay, timeout_ms: deadline } },
    });
    const agent = new Agent({ keepAlive: true, maxSockets: 8 });
    const failures: string[] = [];
    const closeHeaders: string[] = [];
    let ok = 0;
    let stopAt = Infinity;
    let notReadyAt = 0;
    const live: number[] = [];

    // Like a load balancer: keeps sending until one second after it sees readiness fail.
    const worker = async () => {
      while (Date.now() < stopAt) {
        try {
          const res = await send(`${s.url}/api/v1/messages`, { body: plan, agent });
          if (res.status !== 200) failures.push(`status ${res.status}`);
          else ok++;
          if (notReadyAt && res.headers.connection) closeHeaders.push(String(res.headers.connection));
        } catch (err) {
          failures.push((err as Error).message);
        }
      }
    };
    const prober = async () => {
      for (;;) {
        let ready: HttpResult;
        try {
          ready = await get(`${s.url}/healthz/ready`);
        } catch {
          return; // the server stopped accepting: the probes are over
        }
        if (ready.status === 503 && !notReadyAt) {
          notReadyAt = Date.now();
          stopAt = notReadyAt + 1000;
        }
        if (notReadyAt) {
          try {
            live.push((await get(`${s.url}/healthz/live`)).status);
          } catch {
            return;
          }
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    };

    const workers = Array.from({ length: 6 }, worker);
    const probing = prober();
    await eventually(async () => ok > 200, 20000, 'warm-up traffic');
    const { exit } = s.signal('SIGTERM');
    await Promise.all([...workers, probing]);
    const { code, ms } = await exit;
    agent.destroy();

    expect(failures).toEqual([]);
    expect(ok).toBeGreaterThan(200);
    expect(notReadyAt).toBeGreaterThan(0);
    expect(live.length).toBeGreaterThan(3);
    expect(live.every((c) => c === 200)).toBe(true);
    // Responses during the drain tell keep-alive clients to reconnect (elsewhere).
    expect(closeHeaders.length).toBeGreaterThan(0);
    expect(closeHeaders.every((h) => h === 'close')).toBe(true);
    expect(code).toBe(0);
    expect(ms).toBeGreaterThanOrEqual(drainDelay);
    expect(ms).toBeLessThan(drainDelay + deadline);
    const names = hookLines(s).map((h) => h.name);
    // The live workflow streams end after the drain delay, before the server waits for in-flight requests.
    expect(names.slice(0, 4)).toEqual(['readiness', 'drain-delay', 'workflow-stream', 'http-server']);
    expect(names.indexOf('broker')).toBeGreaterThan(2);
    expect(names.indexOf('nest-application')).toBeGreaterThan(names.indexOf('broker'));
    expect(names.at(-1)).toBe('logger');
    expect(s.logs().some((l) => /Shutdown finished in \d+ ms with exit code 0/.test(l.msg))).toBe(true);
  }, 90_000);

  it('a slow in-flight request and a broker handler in flight at SIGTERM both finish before exit', async () => {
    const s = await start({
      config: { ...base, shutdown: { drain_delay_ms: 300 } },
      spec: { slowAgent: true, subscribers: true },
    });
    const accepted = await send(`${s.url}/api/v1/events`, {
      body: { type: 'test.slow_event', data: { tag: 'evt-1', ms: 2000 } },
    });
    expect(accepted.status).toBe(202);
    const slow = send(`${s.url}/api/v1/messages`, {
      body: { type: 'test.slow', data: { ms: 2000, tag: 'req-1' } },
    });
    await s.waitForLog(/broker handler started evt-1/);
    await s.waitForLog(/slow agent started req-1/);
    const { exit } = s.signal('SIGTERM');
    await s.waitForLog(/Shutdown started \(SIGTERM\)/);
    s.child.proc.kill('SIGINT'); // a second signal is only logged
    const res = await slow;
    const { code } = await exit;

    expect(res.status).toBe(200);
    expect(res.headers.connection).toBe('close');
    expect(res.body).toMatchObject({ status: 'success', data: { slept_ms: 2000, tag: 'req-1' } });
    expect(code).toBe(0);
    const msgs = s.logs().map((l) => l.msg);
    const at = (re: RegExp) => msgs.findIndex((m) => re.test(m));
    expect(at(/Received SIGINT while already shutting down \(SIGTERM\)/)).toBeGreaterThan(-1);
    expect(at(/broker handler finished evt-1/)).toBeGreaterThan(at(/Shutdown started/));
    expect(at(/broker handler finished evt-1/)).toBeLessThan(
      at(/Shutdown hook "broker" \(priority 5\) completed/),
    );
    expect(at(/slow agent finished req-1/)).toBeLessThan(
      at(/Shutdown hook "http-server" \(priority 2\) completed/),
    );
    expect(at(/Broker drained/)).toBeGreaterThan(-1);
  }, 60_000);

  it('hooks run by priority, FIFO on ties; a throwing and a hanging hook are cut, the rest run, exit 1', async () => {
    const s = await start({
      config: { ...base, shutdown: { drain_delay_ms: 0, hook_timeout_ms: 800, timeout_ms: 20000 } },
      spec: {
        hooks: [
          { name: 'late-50', priority: 50, behaviour: 'ok', via: 'decorator' },
          { name: 'tie-20-a', priority: 20, behaviour: 'ok', via: 'register' },
          { name: 'hangs-25', priority: 25, behaviour: 'hang', via: 'register' },
          { name: 'tie-20-b', priority: 20, behaviour: 'ok', via: 'register' },
          { name: 'throws-22', priority: 22, behaviour: 'throw', via: 'decorator' },
          { name: 'tie-20-c', priority: 20, behaviour: 'ok', via: 'register' },
          { name: 'early-12', priority: 12, behaviour: 'ok', via: 'decorator' },
          { name: 'deco-40-a', priority: 40, behaviour: 'ok', via: 'decorator' },
          { name: 'deco-40-b', priority: 40, behaviour: 'ok', via: 'decorator' },
        ],
      },
    });
    const { code, ms } = await s.signal('SIGTERM').exit;
    const hooks = hookLines(s);

    expect(code).toBe(1);
    expect(ms).toBeLessThan(20000);
    const names = hooks.map((h) => h.name);
    // The live workflow streams end after the drain delay, before the server waits for in-flight requests.
    expect(names.slice(0, 4)).toEqual(['readiness', 'drain-delay', 'workflow-stream', 'http-server']);
    expect(names.at(-1)).toBe('logger');
    expect(names.filter((n) => /-\d+(-[abc])?$/.test(n))).toEqual([
      'early-12',
      'tie-20-a',
      'tie-20-b',
      'tie-20-c',
      'throws-22',
      'hangs-25',
      'deco-40-a',
      'deco-40-b',
      'late-50',
    ]);
    const priorities = hooks.map((h) => h.priority);
    expect(priorities).toEqual([...priorities].sort((a, b) => a - b));
    const outcome = Object.fromEntries(hooks.map((h) => [h.name, h.outcome]));
    expect(outcome['throws-22']).toBe('failed');
    expect(outcome['hangs-25']).toBe('timed out');
    expect(outcome['late-50']).toBe('completed');
    expect(outcome.logger).toBe('completed');
    const failedLine = s.logs().find((l) => /Shutdown hook "throws-22".*failed/.test(l.msg));
    expect(failedLine?.level).toBe('error');
    expect(s.logs().some((l) => /exit code 1: throws-22 failed, hangs-25 timed_out/.test(l.msg))).toBe(true);
  }, 60_000);

  it('the deadline is enforced: a hook outliving it is cut, later hooks are skipped, exit 1', async () => {
    const drainDelay = 200;
    const deadline = 1500;
    const s = await start({
      config: {
        ...base,
        shutdown: { drain_delay_ms: drainDelay, hook_timeout_ms: 60000, timeout_ms: deadline },
      },
      spec: {
        hooks: [
          { name: 'slow-20', priority: 20, behaviour: 'sleep', ms: 400, via: 'register' },
          { name: 'hangs-21', priority: 21, behaviour: 'hang', via: 'register' },
          { name: 'never-30', priority: 30, behaviour: 'ok', via: 'register' },
        ],
      },
    });
    const { code, ms } = await s.signal('SIGTERM').exit;
    const outcome = Object.fromEntries(hookLines(s).map((h) => [h.name, h.outcome]));

    expect(code).toBe(1);
    expect(ms).toBeGreaterThanOrEqual(drainDelay + deadline - 100);
    // The run itself ends at the deadline; the margin covers process start-up noise on a busy host.
    expect(ms).toBeLessThan(drainDelay + deadline + 5000);
    expect(outcome).toMatchObject({ 'slow-20': 'completed', 'hangs-21': 'timed out', 'never-30': 'skipped' });
    expect(s.logs().some((l) => /test hook never-30 ran/.test(l.msg))).toBe(false);
    expect(
      s.logs().some((l) => /hangs-21.*timed out after \d+ ms \(the shutdown deadline\)/.test(l.msg)),
    ).toBe(true);
  }, 60_000);

  it('a fatal error is logged with its stack, then an orderly shutdown exits 1', async () => {
    const s = await start({
      config: { ...base, shutdown: { drain_delay_ms: 0 } },
      spec: {
        subscribers: true,
        hooks: [{ name: 'cleanup-20', priority: 20, behaviour: 'ok', via: 'register' }],
      },
    });
    await send(`${s.url}/api/v1/events`, { body: { type: 'test.crash', data: {} } });
    const { code } = await s.child.exited;
    const fatal = s.logs().find((l) => /Fatal uncaughtException: test crash outside any handler/.test(l.msg));

    expect(code).toBe(1);
    expect(fatal?.level).toBe('error');
    expect(JSON.stringify(fatal)).toMatch(/at Immediate/);
    expect(hookLines(s).find((h) => h.name === 'cleanup-20')?.outcome).toBe('completed');
  }, 60_000);

  it('health endpoints in the starting, running, degraded, unhealthy, blocked and draining states', async () => {
    const dir = tempDir();
    const gate = join(dir, 'gate');
    const indicator = join(dir, 'indicator');
    const s = await start({
      config: {
        ...base,
        health: { cache_ttl_ms: 0, event_loop_max_lag_ms: 400 },
        shutdown: { drain_delay_ms: 3000 },
      },
      spec: { startupGateFile: gate, indicatorFile: indicator, subscribers: true },
    });
    const codes = async () => ({
      live: (await get(`${s.url}/healthz/live`)).status,
      ready: (await get(`${s.url}/healthz/ready`)).status,
      startup: (await get(`${s.url}/healthz/startup`)).status,
      full: (await get(`${s.url}/healthz`)).status,
    });

    // starting: the process serves, but is not ready
    expect(await codes()).toEqual({ live: 200, ready: 503, startup: 503, full: 200 });
    const starting = await get(`${s.url}/healthz`);
    expect(starting.body).toMatchObject({ status: 'degraded', started: false, shutting_down: false });
    expect((await get(`${s.url}/healthz/ready`)).body.error.lifecycle.message).toBe('startup not complete');

    // running
    writeFileSync(gate, '');
    await eventually(async () => (await get(`${s.url}/healthz/startup`)).status === 200, 10000, 'startup');
    expect(await codes()).toEqual({ live: 200, ready: 200, startup: 200, full: 200 });
    const running = (await get(`${s.url}/healthz`)).body;
    expect(running).toMatchObject({ status: 'healthy', started: true, shutting_down: false });
    expect(typeof running.event_loop_lag_ms).toBe('number');
    expect(running.uptime_s).toBeGreaterThanOrEqual(0);
    expect(running.checks.test_dependency).toMatchObject({ status: 'healthy' });

    // degraded dependency: still serving
    writeFileSync(indicator, 'degraded');
    expect(await codes()).toEqual({ live: 200, ready: 200, startup: 200, full: 200 });
    expect((await get(`${s.url}/healthz`)).body.status).toBe('degraded');
    expect((await get(`${s.url}/healthz/ready`)).body.status).toBe('degraded');

    // unhealthy dependency: not ready, but liveness never fails for a dependency
    writeFileSync(indicator, 'unhealthy');
    expect(await codes()).toEqual({ live: 200, ready: 503, startup: 200, full: 503 });
    expect((await get(`${s.url}/healthz/ready`)).body.error.test_dependency.status).toBe('down');
    writeFileSync(indicator, 'healthy');

    // a blocked event loop fails liveness (and only liveness)
    await send(`${s.url}/api/v1/events`, { body: { type: 'test.block', data: { ms: 1500 } } });
    await s.waitForLog(/blocking the event loop/);
    const blocked = await get(`${s.url}/healthz/live`);
    expect(blocked.status).toBe(503);
    expect(blocked.body.error.event_loop.lag_ms).toBeGreaterThan(400);
    await eventually(async () => (await get(`${s.url}/healthz/live`)).status === 200, 10000, 'live again');

    // draining
    const { exit } = s.signal('SIGTERM');
    await s.waitForLog(/readiness now answers 503/);
    expect(await codes()).toEqual({ live: 200, ready: 503, startup: 200, full: 200 });
    const draining = await get(`${s.url}/healthz`);
    expect(draining.body).toMatchObject({ status: 'degraded', shutting_down: true });
    expect(draining.headers.connection).toBe('close');
    expect((await get(`${s.url}/healthz/ready`)).body.error.lifecycle.message).toBe('shutting down');
    expect((await exit).code).toBe(0);
  }, 90_000);
});
