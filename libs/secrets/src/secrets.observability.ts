import type { Provider } from '@nestjs/common';
import { RedactionRegistry } from '@mira/logging';
import { MetricsService } from '@mira/metrics';
import { SECRETS_METRICS, SECRETS_REDACTION } from './secrets.constants';
import type { CircuitState, SecretsMetricsSink, SecretsRedactionSink } from './secrets.interface';

const CIRCUIT_VALUE: Record<CircuitState, number> = { closed: 0, half_open: 1, open: 2 };

/** The secrets series, registered through MetricsService's get-or-create helpers. */
export function secretsMetricsSink(metrics: MetricsService): SecretsMetricsSink {
  const refresh = metrics.counter({
    name: 'mira_secrets_refresh_total',
    help: 'Secret reads that reached the backend (after retries), by result',
    labelNames: ['backend', 'result'],
  });
  const last = metrics.gauge({
    name: 'mira_secrets_last_refresh_timestamp_seconds',
    help: 'Unix time (seconds) of the last successful secret read from the backend',
    labelNames: ['backend'],
  });
  const circuit = metrics.gauge({
    name: 'mira_secrets_circuit_state',
    help: 'Circuit breaker around the secrets backend API: 0 closed, 1 half-open, 2 open',
    labelNames: ['backend'],
  });
  const stale = metrics.gauge({
    name: 'mira_secrets_stale_values',
    help: 'Secret values currently served stale (last good value kept after backend errors)',
    labelNames: ['backend'],
  });
  return {
    refresh: (backend, result) => refresh.inc({ backend, result }),
    lastRefresh: (backend, seconds) => last.set({ backend }, seconds),
    circuitState: (backend, state) => circuit.set({ backend }, CIRCUIT_VALUE[state]),
    stale: (backend, count) => stale.set({ backend }, count),
  };
}

/**
 * Binds the optional seams to @mira/logging's RedactionRegistry and @mira/metrics' MetricsService when
 * the app has them (both optional, so SecretsModule also works alone, e.g. in unit tests).
 */
export const SECRETS_OBSERVABILITY_PROVIDERS: Provider[] = [
  {
    provide: SECRETS_REDACTION,
    inject: [{ token: RedactionRegistry, optional: true }],
    useFactory: (registry?: RedactionRegistry): SecretsRedactionSink | null => registry ?? null,
  },
  {
    provide: SECRETS_METRICS,
    inject: [{ token: MetricsService, optional: true }],
    useFactory: (metrics?: MetricsService): SecretsMetricsSink | null =>
      metrics ? secretsMetricsSink(metrics) : null,
  },
];
