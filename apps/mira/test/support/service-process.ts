import { mkdtempSync, writeFileSync } from 'node:fs';
import { request as httpRequest, Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { freePort, repoRoot, runNode, type Child } from './child';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { ensureBuilt } = require('../../../../scripts/build-if-needed.js') as {
  ensureBuilt: (o?: { quiet?: boolean }) => string;
};

/** What lifecycle-child.js adds to the built service (all optional). */
export interface LifecycleTestSpec {
  /** Agent `test_slow_agent` for type `test.slow`: sleeps `data.ms`. */
  slowAgent?: boolean;
  /** Workflow `test_slow_workflow`: `steps` (default 1) steps of type `test.slow` with `{ ms, tag }` from its data. */
  slowWorkflow?: { steps?: number };
  /** Broker subscribers: `test.slow_event` sleeps `data.ms`, `test.block` blocks the loop `data.ms`,
   * `test.crash` throws outside any handler (uncaughtException). */
  subscribers?: boolean;
  /** Indicator `test_dependency` whose status is this file's content (healthy while absent). */
  indicatorFile?: string;
  /** Startup stays incomplete until this file exists. */
  startupGateFile?: string;
  hooks?: {
    name: string;
    priority: number;
    behaviour: 'ok' | 'throw' | 'hang' | 'sleep';
    ms?: number;
    via: 'decorator' | 'register';
    timeoutMs?: number;
  }[];
}

export interface LogLine {
  level: string;
  msg: string;
  context?: string;
  time?: string;
  [key: string]: unknown;
}

export interface ServiceProcess {
  url: string;
  child: Child;
  /** The YAML config file the service was started with (rewrite it to drive a hot reload). */
  configFile: string;
  /** JSON log lines printed so far. */
  logs(): LogLine[];
  waitForLog(pattern: RegExp, timeoutMs?: number): Promise<LogLine>;
  /** Sends a real signal; resolves with the exit and the ms it took from the signal. */
  signal(sig: NodeJS.Signals): { exit: Promise<{ code: number | null; ms: number }> };
  kill(): Promise<void>;
}

/** The built entry (dist/), built first when missing or stale. */
export function builtEntry(): string {
  return ensureBuilt({ quiet: true });
}

/** A temp directory for config files, gates and indicator files. */
export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'mira-lifecycle-'));
}

export interface LaunchOptions {
  config?: Record<string, unknown>;
  spec?: LifecycleTestSpec;
  env?: Record<string, string>;
  /** The service's working directory (default: the checkout). */
  cwd?: string;
  /** The script to run instead of the built entry (or lifecycle-child.js with `spec`). */
  script?: string;
}

export interface LaunchedService {
  url: string;
  child: Child;
  /** The temp directory holding the config file and the store's file. */
  dir: string;
  configFile: string;
}

/**
 * Writes `config` as the YAML file (on a free port, the store in a temp dir) and runs the service
 * as a child process, without waiting for it: a spec that expects the start to fail waits for the exit.
 */
export async function launchService(options: LaunchOptions = {}): Promise<LaunchedService> {
  const entry = builtEntry();
  const port = await freePort();
  const dir = tempDir();
  const file = join(dir, 'mira.yaml');
  writeFileSync(
    file,
    stringify({
      logging: { level: 'info', json: true },
      // The store's file in the temp dir, not data/mira.db of the checkout (a spec may override `state`).
      state: { sqlite: { path: join(dir, 'mira.db') } },
      ...options.config,
      server: { host: '127.0.0.1', port },
    }),
  );
  const script =
    options.script ?? (options.spec ? join(repoRoot, 'apps/mira/test/support/lifecycle-child.js') : entry);
  const env: Record<string, string> = { MIRA_CONFIG_FILE: file, PORT: String(port), ...options.env };
  if (options.spec) env.LIFECYCLE_TEST_SPEC = JSON.stringify(options.spec);
  const child = runNode([script], env, options.cwd);
  return { url: `http://127.0.0.1:${port}`, child, dir, configFile: file };
}

/**
 * Starts the built service as a child process on a free port with `config` as its YAML file;
 * with `spec`, through lifecycle-child.js (the real bootstrap plus a test extension module).
 * Resolves once it listens.
 */
export async function startService(options: LaunchOptions = {}): Promise<ServiceProcess> {
  const { url, child, configFile } = await launchService(options);

  const logs = (): LogLine[] =>
    child
      .stdout()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .flatMap((l) => {
        try {
          return [JSON.parse(l) as LogLine];
        } catch {
          return [];
        }
      });
  let exitedAt = 0;
  const exit = child.exited.then((r) => ((exitedAt = Date.now()), r));

  const service: ServiceProcess = {
    url,
    child,
    configFile,
    logs,
    async waitForLog(pattern, timeoutMs = 20000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const hit = logs().find((l) => pattern.test(l.msg));
        if (hit) return hit;
        if (Date.now() > deadline)
          throw new Error(
            `no log line matching ${pattern} within ${timeoutMs} ms; stderr: ${child.stderr()}`,
          );
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    signal(sig) {
      const sent = Date.now();
      child.proc.kill(sig);
      return { exit: exit.then((r) => ({ code: r.code, ms: exitedAt - sent })) };
    },
    async kill() {
      if (child.proc.exitCode === null && child.proc.signalCode === null) child.proc.kill('SIGKILL');
      await exit;
    },
  };

  // Listening = liveness answers; fail fast if the process dies first.
  const deadline = Date.now() + 30000;
  for (;;) {
    if (child.proc.exitCode !== null)
      throw new Error(`service exited with ${child.proc.exitCode} before listening: ${child.stderr()}`);
    try {
      await get(`${url}/healthz/live`);
      return service;
    } catch {
      if (Date.now() > deadline) {
        await service.kill();
        throw new Error(`service did not listen within 30 s: ${child.stderr()}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/**
 * For a describe block of built-service specs: builds dist/ first (beforeAll) and kills, after
 * each test, every service the returned `start` started.
 */
export function useBuiltServices(
  buildTimeoutMs: number,
): (options?: LaunchOptions) => Promise<ServiceProcess> {
  const started: ServiceProcess[] = [];
  beforeAll(() => {
    builtEntry();
  }, buildTimeoutMs);
  afterEach(async () => {
    await Promise.all(started.splice(0).map((s) => s.kill()));
  });
  return async (options) => {
    const s = await startService(options);
    started.push(s);
    return s;
  };
}

export interface HttpResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: any;
}

/** One HTTP request over node:http (headers such as `connection` are visible, unlike fetch). */
export function send(
  url: string,
  init: { method?: string; body?: unknown; agent?: Agent; timeoutMs?: number } = {},
): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const payload = init.body === undefined ? undefined : JSON.stringify(init.body);
    const req = httpRequest(
      url,
      {
        method: init.method ?? (payload ? 'POST' : 'GET'),
        agent: init.agent,
        headers: payload
          ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }
          : {},
        timeout: init.timeoutMs ?? 30000,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (text += d));
        res.on('end', () => {
          let body: unknown = text;
          try {
            body = JSON.parse(text);
          } catch {
            /* not JSON */
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    req.end(payload);
  });
}

export const get = (url: string, agent?: Agent) => send(url, { agent });

/** Polls `fn` until it returns a truthy value or the deadline passes. */
export async function eventually<T>(
  fn: () => Promise<T | undefined | false>,
  timeoutMs = 15000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(`${what} not met within ${timeoutMs} ms${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
