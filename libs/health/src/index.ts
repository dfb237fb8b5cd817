export { HealthModule } from './health.module';
export { HealthService, aggregate, worst } from './health.service';
export { HealthController } from './health.controller';
export { HealthIndicatorProvider } from './health.decorator';
export { HEALTH_MODULE_OPTIONS } from './health.module-definition';
export type {
  HealthStatus,
  HealthIndicatorResult,
  HealthCheckValue,
  HealthContributor,
  HealthIndicatorOptions,
  HealthReport,
  HealthModuleOptions,
} from './health.interface';
