import { Injectable, Logger } from '@nestjs/common';
import { EventLoopMonitor } from './event-loop.monitor';
import { HealthIndicatorProvider } from './health.decorator';
import type { HealthContributor, HealthIndicatorResult } from './health.interface';
import { bootHealth as boot } from './health.testing';

describe('HealthService', () => {
  beforeAll(() => Logger.overrideLogger(false));

  it('discovers indicators contributed by another module and keeps the foundation shape', async () => {
    @Injectable()
    @HealthIndicatorProvider({ name: 'dep' })
    class Dep implements HealthContributor {
      check(): HealthIndicatorResult {
        return { status: 'degraded', reason: 'slow', latency_ms: 40 };
      }
    }
    @Injectable()
    @HealthIndicatorProvider({ name: 'count', readiness: false })
    class Count implements HealthContributor {
      check() {
        return 7;
      }
    }
    const { health, ref } = await boot({}, [Dep, Count]);
    const report = await health.report();
    expect(report).toMatchObject({
      status: 'degraded',
      checks: { dep: { status: 'degraded', reason: 'slow', latency_ms: 40 }, count: 7 },
      started: true,
      shutting_down: false,
      event_loop_lag_ms: 3,
    });
    expect(typeof report.uptime_s).toBe('number');
    await ref.close();
  });

  it('turns a throwing or hanging indicator into an unhealthy value (terminus attempt + timeout)', async () => {
    const { health, ref } = await boot({ indicatorTimeoutMs: 50 });
    health.register({ name: 'throws' }, { check: () => Promise.reject(new Error('db down')) });
    health.register({ name: 'hangs' }, { check: () => new Promise(() => undefined) });
    const report = await health.report();
    expect(report.status).toBe('unhealthy');
    expect(report.checks.throws).toEqual({ status: 'unhealthy', reason: 'check failed: db down' });
    expect(report.checks.hangs).toEqual({
      status: 'unhealthy',
      reason: 'check failed: timeout of 50ms exceeded',
    });
    await ref.close();
  });

  it('caches indicator results for cacheTtlMs and shares one in-flight run', async () => {
    const { health, ref } = await boot({ cacheTtlMs: 60_000 });
    let calls = 0;
    health.register({ name: 'dep' }, { check: async () => ({ status: 'healthy', n: ++calls }) });
    const [a, b] = await Promise.all([health.report(), health.report()]);
    const c = await health.report();
    expect(calls).toBe(1);
    expect([a, b, c].map((r) => (r.checks.dep as unknown as { n: number }).n)).toEqual([1, 1, 1]);
    await ref.close();
  });

  it('readiness: down while a startup task runs, up when it settles, down again when shutting down', async () => {
    const { health, terminus, ref } = await boot();
    const ready = async () =>
      terminus.check((await health.readinessIndicators()).map((r) => () => r)).then(
        (r) => r.status,
        () => 'error',
      );
    let finish!: () => void;
    health.trackStartup('warmup', new Promise<void>((r) => (finish = r)));
    expect(health.lifecycle()).toMatchObject({ started: false, pending: ['warmup'] });
    expect(await ready()).toBe('error');
    expect((await health.report()).status).toBe('degraded');
    finish();
    await new Promise((r) => setImmediate(r));
    expect(health.isStarted()).toBe(true);
    expect(await ready()).toBe('ok');
    health.markShuttingDown();
    expect(await ready()).toBe('error');
    expect(await health.report()).toMatchObject({ status: 'degraded', shutting_down: true });
    await ref.close();
  });

  it('a failed startup task keeps startup incomplete', async () => {
    const { health, ref } = await boot();
    health.trackStartup('migrate', Promise.reject(new Error('no schema')));
    await new Promise((r) => setImmediate(r));
    expect(health.lifecycle()).toMatchObject({ started: false, failed: ['migrate'] });
    expect(health.startup()).toEqual({
      startup: expect.objectContaining({ status: 'down', failed: ['migrate'] }),
    });
    await ref.close();
  });

  it('liveness follows the event loop only', async () => {
    const { health, loop, ref } = await boot();
    health.register({ name: 'dep' }, { check: () => ({ status: 'unhealthy' }) });
    expect(health.liveness().event_loop.status).toBe('up');
    loop.lag = 150;
    expect(health.liveness()).toEqual({ event_loop: { status: 'down', lag_ms: 150, max_lag_ms: 100 } });
    await ref.close();
  });
});

describe('EventLoopMonitor', () => {
  it('reports a stall of the loop', async () => {
    const monitor = new EventLoopMonitor();
    monitor.onModuleInit();
    try {
      const until = Date.now() + 200;
      while (Date.now() < until);
      expect(monitor.lagMs()).toBeGreaterThanOrEqual(120);
      await new Promise((r) => setTimeout(r, 80));
      expect(monitor.lagMs()).toBeGreaterThanOrEqual(120); // remembered for the window
    } finally {
      monitor.onModuleDestroy();
    }
    expect(monitor.lagMs()).toBe(0);
  });
});
