import type { MetricsService } from '@mira/metrics';
import type { ConfigStore } from './config.store';

/**
 * Config reloads (ok / failed), read from ConfigStore.status() at scrape time. Provided through
 * metricsCollector (ConfigModule).
 */
export class ConfigMetrics {
  constructor(metrics: MetricsService, config: ConfigStore) {
    const seen = { ok: 0, failed: 0 };
    metrics.counter<'result'>({
      name: 'mira_config_reloads_total',
      help: 'Configuration reloads by result (ok, failed)',
      labelNames: ['result'],
      collect() {
        // The store keeps running totals; the counter advances by the difference since the last scrape.
        const { reloads } = config.status();
        for (const result of ['ok', 'failed'] as const) {
          this.inc({ result }, Math.max(0, reloads[result] - seen[result]));
          seen[result] = Math.max(seen[result], reloads[result]);
        }
      },
    });
  }
}
