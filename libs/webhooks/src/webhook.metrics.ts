import type { Counter } from 'prom-client';
import type { MetricsService } from '@mira/metrics';

/** Outcome label of mira_webhook_deliveries_total. */
export type WebhookDeliveryResult = 'processed' | 'duplicate' | 'rejected' | 'failed';

/**
 * mira_webhook_deliveries_total{service,result}. Callers pass a service name only once it is
 * known to be registered (else `other`), so the label stays bounded by the code. Provided through
 * metricsCollector (WebhooksModule): null in an app without MetricsService.
 */
export class WebhookMetrics {
  private readonly deliveries: Counter<'service' | 'result'>;

  constructor(metrics: MetricsService) {
    this.deliveries = metrics.counter({
      name: 'mira_webhook_deliveries_total',
      help: 'Inbound webhook deliveries, by service and result (processed, duplicate, rejected, failed)',
      labelNames: ['service', 'result'],
    });
  }

  record(service: string, result: WebhookDeliveryResult): void {
    this.deliveries.inc({ service, result });
  }
}
