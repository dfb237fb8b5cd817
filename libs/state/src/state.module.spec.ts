import { Injectable, Logger, Module, type Type } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { HealthModule, HealthProbes } from '@mira/health';
import { SHUTDOWN_PRIORITY, ShutdownModule, ShutdownService } from '@mira/shutdown';
import { SqliteStateStore } from './backends/sqlite.backend';
import { STATE_STORE } from './state.constants';
import { StateBackendProvider } from './state.decorator';
import { usePostgresServer } from './state.engines.testing';
import { StateHealthIndicator } from './state.health';
import type { StateBackend, StateSettings, StateStore } from './state.interface';
import { StateModule } from './state.module';
import { STATE_SHUTDOWN_PRIORITY } from './state.shutdown';

const settings = (over: Partial<StateSettings> = {}): StateSettings => ({
  backend: 'sqlite',
  sqlite: { path: ':memory:' },
  postgres: { url: null, pool_max: 2, statement_timeout_ms: 2000, connect_timeout_ms: 1000 },
  ...over,
});

async function boot(s: StateSettings, extra: Type[] = []) {
  const ref = await Test.createTestingModule({
    imports: [
      HealthModule.forRoot({ cacheTtlMs: 0 }),
      ShutdownModule.forRoot({ drainDelayMs: 0 }),
      StateModule.forRoot({ settings: () => s, isGlobal: true }),
      ...extra,
    ],
  }).compile();
  await ref.init();
  return ref;
}

describe('StateModule', () => {
  beforeAll(() => Logger.overrideLogger(false));

  it('provides STATE_STORE on the configured backend, a `state` check and a shutdown hook after the broker', async () => {
    const ref = await boot(settings());
    const store = ref.get<StateStore>(STATE_STORE);
    expect(store.backend).toBe('sqlite');
    const full = await ref.get(HealthProbes).answer('full');
    expect(full.statusCode).toBe(200);
    expect((full.body as { checks: Record<string, unknown> }).checks.state).toEqual({
      status: 'healthy',
      backend: 'sqlite',
      latency_ms: expect.any(Number),
    });
    const hook = ref
      .get(ShutdownService)
      .list()
      .find((h) => h.name === 'state');
    expect(hook).toEqual({ name: 'state', priority: STATE_SHUTDOWN_PRIORITY });
    expect(STATE_SHUTDOWN_PRIORITY).toBeGreaterThan(SHUTDOWN_PRIORITY.BROKER);
    expect(STATE_SHUTDOWN_PRIORITY).toBeGreaterThanOrEqual(SHUTDOWN_PRIORITY.CONNECTIONS);
    expect(STATE_SHUTDOWN_PRIORITY).toBeLessThan(SHUTDOWN_PRIORITY.CACHES);

    // The shutdown run closes the store; later use is STATE_CLOSED, and the check turns unhealthy.
    const result = await ref.get(ShutdownService).run('test');
    expect(result.hooks.find((h) => h.name === 'state')).toMatchObject({ outcome: 'completed' });
    await expect(store.getWorkflow('x')).rejects.toMatchObject({ code: 'STATE_CLOSED' });
    await ref.close();
  });

  it('an unknown backend fails the start listing the known ones', async () => {
    await expect(boot(settings({ backend: 'mongo' }))).rejects.toMatchObject({
      code: 'STATE_UNKNOWN_BACKEND',
      message: expect.stringContaining('(known: postgres, sqlite)'),
    });
  });

  it('a module adds a backend by declaring a @StateBackendProvider, without editing the lib', async () => {
    const opened: StateSettings[] = [];
    @Injectable()
    @StateBackendProvider('custom')
    class CustomBackend implements StateBackend {
      async open({ settings: s }: { settings: StateSettings }): Promise<StateStore> {
        opened.push(s);
        const inner = SqliteStateStore.open(':memory:');
        return Object.assign(Object.create(inner) as StateStore, { backend: 'custom' });
      }
    }
    @Module({ providers: [CustomBackend] })
    class CustomModule {}
    const ref = await boot(settings({ backend: 'custom' }), [CustomModule]);
    expect(opened).toHaveLength(1);
    expect(ref.get<StateStore>(STATE_STORE).backend).toBe('custom');
    await ref.close();
  });
});

describe('StateHealthIndicator on a real PostgreSQL', () => {
  const pg = usePostgresServer();

  it('healthy with backend and latency only; unhealthy without URL or password when the server stops; healthy again after', async () => {
    const password = 'Pa55-w0rd-xyz';
    const url = await pg.server.createDatabase('health_check', password);
    const ref = await boot(settings({ backend: 'postgres', postgres: { ...settings().postgres, url } }));
    const indicator = ref.get(StateHealthIndicator);
    const up = await indicator.check();
    expect(up).toEqual({ status: 'healthy', backend: 'postgres', latency_ms: expect.any(Number) });

    await pg.server.down();
    try {
      const down = await indicator.check();
      expect(down).toMatchObject({
        status: 'unhealthy',
        backend: 'postgres',
        reason: expect.stringContaining('unreachable'),
      });
      const text = JSON.stringify(down);
      expect(text).not.toContain(password);
      expect(text).not.toContain('postgres://');
      expect(text).not.toContain(String(pg.server.port));
      const ready = await ref.get(HealthProbes).answer('ready');
      expect(ready.statusCode).toBe(503);
    } finally {
      await pg.server.restart();
    }
    // The pool reconnects by itself once the server is back.
    expect(await indicator.check()).toMatchObject({ status: 'healthy' });
    await ref.close();
  }, 60000);
});
