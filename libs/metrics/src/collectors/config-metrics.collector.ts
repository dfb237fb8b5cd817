import { Inject, Injectable, Optional } from '@nestjs/common';
import { ConfigStore } from '@mira/config';
import { METRIC_NAMES } from '../metrics.constants';
import { MetricsService } from '../metrics.service';

/** Config reloads (ok / failed), read from ConfigStore.status() at scrape time. */
@Injectable()
export class ConfigMetricsCollector {
  constructor(metrics: MetricsService, @Optional() @Inject(ConfigStore) config: ConfigStore | null = null) {
    if (!config) return;
    const seen = { ok: 0, failed: 0 };
    metrics.counter<'result'>({
      name: METRIC_NAMES.configReloads,
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
