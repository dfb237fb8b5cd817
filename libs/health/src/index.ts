export { HealthModule } from './health.module';
export { HEALTH_PATH, HEALTH_ROUTE } from './health.constants';
export { HealthService, aggregate, worst } from './health.service';
export { HealthController } from './health.controller';
export { HealthProbes } from './health.probes';
export { HealthFastPath, type HealthFastPathOptions } from './health.fast-path';
export { HealthIndicatorProvider } from './health.decorator';
export { EventLoopMonitor } from './event-loop.monitor';
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
  ProbeName,
  ProbeAnswer,
} from './health.interface';
export { healthConfig, healthSchema } from './health.config';
