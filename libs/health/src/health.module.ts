import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { HealthController } from './health.controller';
import { ConfigurableModuleClass } from './health.module-definition';
import { HealthService } from './health.service';

/** /healthz and the indicator registry; modules contribute @HealthIndicatorProvider providers. */
@Module({
  imports: [DiscoveryModule],
  controllers: [HealthController],
  providers: [HealthService],
  exports: [HealthService],
})
export class HealthModule extends ConfigurableModuleClass {}
