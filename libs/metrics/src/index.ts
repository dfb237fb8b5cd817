export { MetricsModule } from './metrics.module';
export { MetricsService } from './metrics.service';
export { MetricsController } from './metrics.controller';
export { METRICS_MODULE_OPTIONS } from './metrics.module-definition';
export {
  METRICS_ACCESS_POLICY,
  METRIC_NAMES,
  OTHER_LABEL,
  UNMATCHED_ROUTE,
  REFUSAL_REASONS,
  KNOWN_STATUS_CODES,
  type RefusalReason,
  type WebhookDeliveryResult,
} from './metrics.constants';
export { markRefusal } from './http-refusals';
export { HttpMetricsRecorder } from './http-metrics.hook';
export { WebhookMetrics } from './collectors/webhook-metrics.service';
export type { MetricsModuleOptions, MetricsAccessPolicy, AgentOutcome } from './metrics.interface';
export { MetricsError, type MetricsErrorCode } from './metrics.error';
export { BoundedLabel } from './bounded-label';
export { AgentMetrics } from './collectors/agent-metrics.service';
export { MessageTypeLabels } from './collectors/message-type-labels';
export { BrokerMetricsObserver } from './collectors/broker-metrics.observer';
