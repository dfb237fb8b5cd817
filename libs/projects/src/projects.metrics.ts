import type { Counter, Gauge } from 'prom-client';
import { BoundedLabel, type MetricsService } from '@mira/metrics';

/** Sync series; `source` is the connector kind (github, jira, trello, ...): bounded by the code. */
export class ProjectsMetrics {
  private readonly runs: Counter<'source' | 'status'>;
  private readonly items: Counter<'source'>;
  private readonly remaining: Gauge<'source'>;
  private readonly sources = new BoundedLabel(32);

  constructor(metrics: MetricsService) {
    this.runs = metrics.counter({
      name: 'mira_sync_runs_total',
      help: 'Syncs of one project source, by connector and status (success, error)',
      labelNames: ['source', 'status'],
    });
    this.items = metrics.counter({
      name: 'mira_sync_items_total',
      help: 'Tasks written by syncs and webhooks, by connector',
      labelNames: ['source'],
    });
    this.remaining = metrics.gauge({
      name: 'mira_connector_rate_limit_remaining',
      help: 'Calls left in the rate-limit window, as the tracker last announced it',
      labelNames: ['source'],
    });
  }

  run(source: string, status: 'success' | 'error', items: number): void {
    const s = this.sources.value(source);
    this.runs.inc({ source: s, status });
    if (items > 0) this.items.inc({ source: s }, items);
  }

  webhookItems(source: string, items: number): void {
    if (items > 0) this.items.inc({ source: this.sources.value(source) }, items);
  }

  rateLimit(source: string, remaining: number | null): void {
    if (remaining !== null) this.remaining.set({ source: this.sources.value(source) }, remaining);
  }
}
