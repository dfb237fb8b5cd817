import type { MetricsService } from '@mira/metrics';
import type { ConfigStore } from './config.store';

/**
 * Config reloads (ok / failed), read from ConfigStore.status() at scrape time. Provided through
 * metricsCollector (ConfigModule).
 */
export class ConfigMetrics {
  constructor(metrics: MetricsService, config: ConfigStore) {
    // The store keeps running totals; the counter advances by the difference since the last scrape.
    metrics.counterFromTotals<'result'>(
      {
        name: 'mira_config_reloads_total',
        help: 'Configuration reloads by result (ok, failed)',
        labelNames: ['result'],
      },
      () => {
        const { reloads } = config.status();
        return (['ok', 'failed'] as const).map((result) => [{ result }, reloads[result]] as const);
      },
    );
  }
}
