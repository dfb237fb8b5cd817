import { Injectable, Logger } from '@nestjs/common';
import { HealthIndicatorProvider } from './health.decorator';
import type { HealthContributor, HealthIndicatorResult } from './health.interface';
import { bootHealth } from './health.testing';

/** A dependency whose state a test flips; every check returns a new object. */
@Injectable()
@HealthIndicatorProvider({ name: 'dep' })
class Dep implements HealthContributor {
  status: HealthIndicatorResult['status'] = 'healthy';
  calls = 0;
  check(): HealthIndicatorResult {
    this.calls++;
    return { status: this.status, reason: null };
  }
}

async function boot(cacheTtlMs: number) {
  const booted = await bootHealth({ cacheTtlMs }, [Dep]);
  return { ...booted, dep: booted.ref.get(Dep) };
}

describe('HealthProbes', () => {
  beforeAll(() => Logger.overrideLogger(false));
  // uptime_s is part of the /healthz answer: held still so a test cannot straddle a second.
  beforeEach(() => jest.spyOn(process, 'uptime').mockReturnValue(100));
  afterEach(() => jest.restoreAllMocks());

  it('answers each endpoint: foundation shape for /healthz, terminus shape for the probes', async () => {
    const { probes, ref } = await boot(0);
    const full = await probes.answer('full');
    expect(full.statusCode).toBe(200);
    expect(full.body).toMatchObject({
      status: 'healthy',
      checks: { dep: { status: 'healthy' } },
      started: true,
    });
    const live = await probes.answer('live');
    expect(live).toEqual({
      statusCode: 200,
      body: expect.objectContaining({
        status: 'ok',
        info: { event_loop: { status: 'up', lag_ms: 3, max_lag_ms: 100 } },
      }),
    });
    expect((await probes.answer('ready')).statusCode).toBe(200);
    expect((await probes.answer('startup')).statusCode).toBe(200);
    await ref.close();
  });

  it('answers liveness with the current lag figure, and fails it past the limit', async () => {
    const { probes, loop, ref } = await boot(0);
    expect(((await probes.live()).body as any).info.event_loop.lag_ms).toBe(3);
    loop.lag = 4;
    const b = await probes.live();
    expect(b.statusCode).toBe(200);
    expect((b.body as any).info.event_loop.lag_ms).toBe(4);
    loop.lag = 250;
    const blocked = await probes.live();
    expect(blocked.statusCode).toBe(503);
    expect((blocked.body as any).error.event_loop).toEqual({ status: 'down', lag_ms: 250, max_lag_ms: 100 });
    await ref.close();
  });

  it('answers /healthz from cached indicator results, with the current figures and lifecycle', async () => {
    const { probes, health, dep, loop, ref } = await boot(60_000);
    const a = await probes.full();
    expect((await probes.full()).body).toEqual(a.body);
    expect(dep.calls).toBe(1);
    // A changed figure shows at once.
    loop.lag = 7;
    const b = await probes.full();
    expect((b.body as any).event_loop_lag_ms).toBe(7);
    expect(dep.calls).toBe(1);
    // So does the lifecycle.
    health.markShuttingDown();
    const c = await probes.full();
    expect(c.body).toMatchObject({ status: 'degraded', shutting_down: true });
    await ref.close();
  });

  it('answers afresh each time when results are not cached (every check is a new value)', async () => {
    const { probes, dep, ref } = await boot(0);
    const a = await probes.full();
    dep.status = 'unhealthy';
    const b = await probes.full();
    expect(b).not.toBe(a);
    expect(b.statusCode).toBe(503);
    expect(dep.calls).toBe(2);
    await ref.close();
  });
});
