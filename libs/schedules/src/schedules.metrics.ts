import type { Counter, Gauge } from 'prom-client';
import type { MetricsService } from '@mira/metrics';

/** mira_schedule_runs_total{status} and mira_schedule_lag_seconds (claim time minus scheduled time). */
export class SchedulesMetrics {
  private readonly runs: Counter<'status'>;
  private readonly lag: Gauge;

  constructor(metrics: MetricsService) {
    this.runs = metrics.counter({
      name: 'mira_schedule_runs_total',
      help: 'Schedule runs finished by this replica, by status (succeeded, failed, skipped, pending_approval)',
      labelNames: ['status'],
    });
    this.lag = metrics.gauge({
      name: 'mira_schedule_lag_seconds',
      help: 'How late the last run claimed by this replica started after its scheduled time',
    });
  }

  run(status: string): void {
    this.runs.inc({ status });
  }

  lagSeconds(seconds: number): void {
    this.lag.set(Math.max(seconds, 0));
  }
}
