import type { ModuleMetadata } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createApp } from '../../src/app.factory';
import { ConfigStore } from '@mira/config';
import { LogDestinationModule } from '@mira/logging';
import { captureLogsModule, recordConfigSecrets } from './log-capture';

export interface TestAppOptions {
  /** Config values layered over the defaults (no config file, no process env unless given). */
  overrides?: Record<string, unknown>;
  /** Environment for MIRA_* overrides (default: none, so the developer's env cannot leak in). */
  env?: Record<string, string | undefined>;
  /** A config file to load (default: none). */
  file?: string | null;
  imports?: ModuleMetadata['imports'];
  /** Listen on this port (default: a free one): for a URL that other config must name up front. */
  port?: number;
}

export interface TestApp {
  app: NestFastifyApplication;
  /** e.g. http://127.0.0.1:41234 */
  url: string;
  close(): Promise<void>;
}

/** Boots the real AppModule through the real bootstrap path and listens on a free loopback port. */
export async function startTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  // Secret-leak scan (log-capture.ts): debug lines into a per-worker file unless the spec routes logs itself.
  const capture = (options.imports ?? []).some(
    (m) => (m as { module?: unknown })?.module === LogDestinationModule,
  )
    ? null
    : captureLogsModule();
  const app = await createApp({
    config: {
      file: options.file ?? null,
      env: options.env ?? {},
      overrides: {
        logging: { level: capture ? 'debug' : 'silent' },
        // In-process apps share the jest worker's event loop, which a loaded CI machine can stall
        // past the 1 s liveness limit; specs about lag set `health` themselves (lifecycle: 400 ms).
        health: { cache_ttl_ms: 0, event_loop_max_lag_ms: 600000 },
        shutdown: { drain_delay_ms: 0 },
        // No data/mira.db left behind by tests; a spec that wants a file or postgres overrides `state`.
        state: { sqlite: { path: ':memory:' } },
        ...options.overrides,
      },
    },
    imports: [...(capture ? [capture] : []), ...(options.imports ?? [])],
  });
  await app.listen({ port: options.port ?? 0, host: '127.0.0.1' });
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const close = async () => {
    recordConfigSecrets(app.get(ConfigStore).current);
    await app.close();
  };
  return { app, url: `http://127.0.0.1:${port}`, close };
}

/** JSON request helper over real HTTP (global fetch). */
export async function request(
  url: string,
  init: { method?: string; body?: unknown; headers?: Record<string, string>; raw?: string } = {},
): Promise<{ status: number; headers: Headers; body: any; text: string }> {
  const hasBody = init.raw !== undefined || init.body !== undefined;
  const res = await fetch(url, {
    method: init.method ?? (hasBody ? 'POST' : 'GET'),
    headers: { ...(hasBody ? { 'content-type': 'application/json' } : {}), ...init.headers },
    body: init.raw ?? (init.body !== undefined ? JSON.stringify(init.body) : undefined),
  });
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: callers look at `text`
  }
  return { status: res.status, headers: res.headers, body, text };
}
