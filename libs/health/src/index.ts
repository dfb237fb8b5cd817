export { HealthModule } from './health.module';
export { HealthService, aggregate, worst } from './health.service';
export { HealthController } from './health.controller';
export { HealthIndicatorProvider } from './health.decorator';
export { EventLoopMonitor } from './event-loop.provider';
export { HEALTH_MODULE_OPTIONS } from './health.module-definition';
export type {
  HealthStatus,
  HealthIndicatorResult,
  HealthCheckValue,
  HealthContributor,
  HealthIndicatorOptions,
  HealthReport,
  FullHealthReport,
  HealthLifecycle,
  HealthModuleOptions,
} from './health.interface';
