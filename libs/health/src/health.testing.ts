import { Module, type Provider } from '@nestjs/common';
import { HealthCheckService } from '@nestjs/terminus';
import { Test } from '@nestjs/testing';
import { EventLoopMonitor } from './event-loop.monitor';
import { HealthModule } from './health.module';
import { HealthProbes } from './health.probes';
import { HealthService } from './health.service';

/** Spec helpers of the health lib (not exported from index.ts). */

/** An event-loop monitor whose lag a test sets. */
export class FakeLoop extends EventLoopMonitor {
  lag = 3;
  override lagMs(): number {
    return this.lag;
  }
}

/** HealthModule booted with a fake event loop, plus `providers` in a module of their own. */
export async function bootHealth(
  options: { cacheTtlMs?: number; indicatorTimeoutMs?: number } = {},
  providers: Provider[] = [],
) {
  @Module({ providers })
  class Extra {}
  const ref = await Test.createTestingModule({
    imports: [HealthModule.forRoot({ eventLoopMaxLagMs: 100, ...options }), Extra],
  })
    .overrideProvider(EventLoopMonitor)
    .useClass(FakeLoop)
    .compile();
  await ref.init();
  return {
    ref,
    probes: ref.get(HealthProbes),
    health: ref.get(HealthService),
    loop: ref.get(EventLoopMonitor) as FakeLoop,
    terminus: ref.get(HealthCheckService),
  };
}
