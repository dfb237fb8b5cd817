import { Global, Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import { metricsCollector } from '@mira/metrics';
import { EventLoopMonitor } from './event-loop.monitor';
import { HealthController } from './health.controller';
import { HealthMetrics } from './health.metrics';
import { ConfigurableModuleClass } from './health.module-definition';
import { HealthProbes } from './health.probes';
import { HealthService } from './health.service';
import { ConfigModule } from '@mira/config';
import { healthConfig } from './health.config';

/**
 * /healthz, /healthz/live, /healthz/ready, /healthz/startup and the indicator registry;
 * modules contribute @HealthIndicatorProvider providers. terminus runs the probes; its own
 * failure log is off because a draining pod answers 503 on every readiness probe by design.
 * Global so any module can inject HealthService (register(), trackStartup()) without importing it.
 */
@Global()
@Module({
  imports: [
    DiscoveryModule,
    TerminusModule.forRoot({ logger: false }),
    ConfigModule.forFeature(healthConfig),
  ],
  controllers: [HealthController],
  providers: [HealthService, HealthProbes, EventLoopMonitor, metricsCollector(HealthMetrics, [HealthProbes])],
  exports: [HealthService, HealthProbes],
})
export class HealthModule extends ConfigurableModuleClass {}
