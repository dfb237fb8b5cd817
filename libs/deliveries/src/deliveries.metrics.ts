import type { Counter } from 'prom-client';
import type { MetricsService } from '@mira/metrics';

/** mira_deliveries_total{kind,status} (delivered, retrying, dead) and mira_deliveries_pending. */
export class DeliveriesMetrics {
  private readonly total: Counter<'kind' | 'status'>;
  private pending = 0;

  constructor(metrics: MetricsService) {
    this.total = metrics.counter({
      name: 'mira_deliveries_total',
      help: 'Delivery attempts by kind and outcome (delivered, retrying, dead)',
      labelNames: ['kind', 'status'],
    });
    const read = (): number => this.pending;
    metrics.gauge({
      name: 'mira_deliveries_pending',
      help: 'Outbox rows not yet delivered nor dead (as last counted by this replica)',
      collect() {
        this.set(read());
      },
    });
  }

  record(kind: string, status: 'delivered' | 'retrying' | 'dead'): void {
    this.total.inc({ kind, status });
  }

  setPending(n: number): void {
    this.pending = n;
  }
}
