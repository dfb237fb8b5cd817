import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kubeletWrite } from './kubelet-volume';
import { request, startTestApp, type TestApp } from './test-app';

/** The real app reading `mira.yaml` from a ConfigMap-style volume directory with hot reload on. */
export interface ReloadingApp {
  /** The running app (valid from beforeAll on). */
  readonly app: TestApp;
  /** The volume directory. */
  readonly dir: string;
  /** Rewrites `mira.yaml` the way the kubelet does (an atomic symlink swap). */
  write(yaml: string): void;
  /** The `configuration` check of /healthz (status, reloads, reason). */
  configuration(): Promise<any>;
  /** The JSON lines logged to the log file so far (with `logFile: true`). */
  logLines<L = Record<string, unknown>>(): L[];
}

export interface ReloadingAppOptions {
  /** The temp directory's prefix (`mira-configmap-` and the like). */
  prefix: string;
  /** The first `mira.yaml`. */
  yaml: string;
  /** Also writes the log lines to a file in a temp directory (`<logPrefix>XXXXXX/mira.log`). */
  logPrefix?: string;
  /** Merged into `logging` next to `file`. */
  logging?: Record<string, unknown>;
  /** Other override sections of the harness's config (`config` and `logging` are set here). */
  overrides?: Record<string, unknown>;
}

/**
 * For a describe block: writes the volume and starts the app in beforeAll (hot reload with a
 * 20 ms debounce), closes it and removes the directories in afterAll.
 */
export function useReloadingApp(options: ReloadingAppOptions): ReloadingApp {
  let app: TestApp | undefined;
  let dir = '';
  let logFile: string | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), options.prefix));
    if (options.logPrefix) logFile = join(mkdtempSync(join(tmpdir(), options.logPrefix)), 'mira.log');
    kubeletWrite(dir, { 'mira.yaml': options.yaml });
    app = await startTestApp({
      file: join(dir, 'mira.yaml'),
      overrides: {
        config: { hot_reload: true, debounce_ms: 20 },
        ...(logFile || options.logging ? { logging: { file: logFile, ...options.logging } } : {}),
        ...options.overrides,
      },
    });
  });

  afterAll(async () => {
    await app?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
    if (logFile) rmSync(join(logFile, '..'), { recursive: true, force: true });
  });

  const reloading: ReloadingApp = {
    get app() {
      if (!app) throw new Error('the app is not started yet: use it inside a test or a hook');
      return app;
    },
    get dir() {
      return dir;
    },
    write: (yaml) => kubeletWrite(dir, { 'mira.yaml': yaml }),
    configuration: async () => (await request(`${reloading.app.url}/healthz`)).body.checks.configuration,
    logLines: <L>() =>
      logFile && existsSync(logFile)
        ? (readFileSync(logFile, 'utf8')
            .split('\n')
            .filter(Boolean)
            .map((l) => JSON.parse(l)) as L[])
        : [],
  };
  return reloading;
}

/**
 * Polls `probe` until `ok` accepts its value; on timeout the error names `what` and shows the
 * last value (which a plain truthy poll cannot).
 */
export async function untilAccepted<T>(
  what: string,
  probe: () => Promise<T>,
  ok: (v: T) => boolean,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
