import type { InjectionToken, OptionalFactoryDependency, Provider } from '@nestjs/common';
import { MetricsService } from './metrics.service';

/**
 * How a lib registers a metrics collector, as it registers a health indicator: the collector
 * lives with the data it reads, takes MetricsService as its first constructor argument and asks
 * it for its series. The provider is the collector when the app has a MetricsService and null
 * when it has none, so callers that inject it optionally skip metric work, and a null observer
 * is not discovered at all.
 *
 *   providers: [metricsCollector(BrokerMetrics, [MessageTypeLabels, MESSAGE_BROKER])]
 */
export function metricsCollector<T, D extends unknown[]>(
  collector: new (metrics: MetricsService, ...deps: D) => T,
  inject: (InjectionToken | OptionalFactoryDependency)[] = [],
): Provider {
  return {
    provide: collector,
    inject: [{ token: MetricsService, optional: true }, ...inject],
    useFactory: (metrics: MetricsService | undefined, ...deps: D): T | null =>
      metrics ? new collector(metrics, ...deps) : null,
  };
}
