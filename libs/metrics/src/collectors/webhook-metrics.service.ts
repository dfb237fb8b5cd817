import { Injectable } from '@nestjs/common';
import type { Counter } from 'prom-client';
import { METRIC_NAMES, type WebhookDeliveryResult } from '../metrics.constants';
import { MetricsService } from '../metrics.service';

/**
 * mira_webhook_deliveries_total{service,result}. Callers pass a service name only once it is
 * known to be registered (else `other`), so the label stays bounded by the code.
 */
@Injectable()
export class WebhookMetrics {
  private readonly deliveries: Counter<'service' | 'result'>;

  constructor(metrics: MetricsService) {
    this.deliveries = metrics.counter({
      name: METRIC_NAMES.webhookDeliveries,
      help: 'Inbound webhook deliveries, by service and result (processed, duplicate, rejected, failed)',
      labelNames: ['service', 'result'],
    });
  }

  record(service: string, result: WebhookDeliveryResult): void {
    this.deliveries.inc({ service, result });
  }
}
