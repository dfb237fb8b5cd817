import type { MetricsService } from '@mira/metrics';
import { activeTracing } from './tracing.sdk';

/**
 * `mira_tracing_spans_dropped_total` and `_exported_total`, read from the span processor at
 * scrape time. Registered whether tracing is on or not, so an alert or panel never sees the
 * series vanish (it stays 0 when off). Provided through metricsCollector (TracingModule).
 */
export class TracingMetrics {
  constructor(metrics: MetricsService) {
    for (const [name, help, key] of [
      [
        'mira_tracing_spans_dropped_total',
        'Spans lost before reaching the collector (export queue full, export failed or timed out)',
        'dropped',
      ],
      ['mira_tracing_spans_exported_total', 'Spans the OTLP collector accepted', 'exported'],
    ] as const) {
      // The processor keeps running totals; the counter advances by the difference.
      metrics.counterFromTotals({ name, help }, () => [[{}, activeTracing()?.spans[key] ?? 0]]);
    }
  }
}
