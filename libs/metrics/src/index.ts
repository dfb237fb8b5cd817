export { MetricsModule } from './metrics.module';
export { MetricsService } from './registry/metrics.service';
export { metricsCollector } from './registry/metrics-collector.provider';
export { MetricsController } from './exposition/metrics.controller';
export { METRICS_MODULE_OPTIONS } from './metrics.module-definition';
export {
  METRICS_ACCESS_POLICY,
  METRIC_NAMES,
  OTHER_LABEL,
  UNMATCHED_ROUTE,
  REFUSAL_REASONS,
  KNOWN_STATUS_CODES,
  type RefusalReason,
} from './metrics.constants';
export { markRefusal } from './http-refusals';
export type { MetricsModuleOptions, MetricsAccessPolicy } from './metrics.interface';
export { HttpMetricsRecorder } from './http-metrics.hook';
export { MetricsError, type MetricsErrorCode } from './metrics.error';
export { BoundedLabel } from './registry/bounded-label';
