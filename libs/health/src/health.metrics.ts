import type { MetricsService } from '@mira/metrics';
import type { HealthProbes } from './health.probes';

/**
 * mira_ready, the series the alert rules read (deploy/monitoring): readiness as the probe
 * answers it, computed at scrape time (no timers). Provided through metricsCollector (HealthModule).
 */
export class HealthMetrics {
  constructor(metrics: MetricsService, probes: HealthProbes) {
    metrics.gauge({
      name: 'mira_ready',
      help: 'Readiness as /healthz/ready answers it: 1 ready, 0 not (starting, draining, or a dependency unusable)',
      async collect() {
        const answer = await probes.ready().catch(() => null);
        this.set(answer?.statusCode === 200 ? 1 : 0);
      },
    });
  }
}
