import { type DynamicModule, Module } from '@nestjs/common';
import { AgentMetrics } from './collectors/agent-metrics.service';
import { BrokerMetricsObserver } from './collectors/broker-metrics.observer';
import { ConfigMetricsCollector } from './collectors/config-metrics.collector';
import { HealthMetricsCollector } from './collectors/health-metrics.collector';
import { MessageTypeLabels } from './collectors/message-type-labels';
import { WebhookMetrics } from './collectors/webhook-metrics.service';
import { HttpMetricsRecorder } from './http-metrics.hook';
import { MetricsController } from './metrics.controller';
import { ConfigurableModuleClass, type OPTIONS_TYPE } from './metrics.module-definition';
import { MetricsService } from './metrics.service';

/**
 * Global: `MetricsModule.forRoot()` once in the app. Provides MetricsService (the app's own
 * registry and get-or-create helpers), GET /metrics, HTTP timing, and the broker, agent and
 * config collectors.
 */
@Module({
  controllers: [MetricsController],
  providers: [
    MetricsService,
    HttpMetricsRecorder,
    MessageTypeLabels,
    BrokerMetricsObserver,
    AgentMetrics,
    ConfigMetricsCollector,
    WebhookMetrics,
    HealthMetricsCollector,
  ],
  exports: [MetricsService, AgentMetrics, MessageTypeLabels, WebhookMetrics],
})
export class MetricsModule extends ConfigurableModuleClass {
  static override forRoot(options: typeof OPTIONS_TYPE = {}): DynamicModule {
    return super.forRoot(options);
  }
}
