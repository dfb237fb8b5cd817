import { Inject, Injectable, type OnModuleDestroy, Optional } from '@nestjs/common';
import {
  collectDefaultMetrics,
  Counter,
  type CounterConfiguration,
  Gauge,
  type GaugeConfiguration,
  Histogram,
  type HistogramConfiguration,
  type Metric,
  Registry,
  Summary,
  type SummaryConfiguration,
} from 'prom-client';
import { METRIC_NAMES } from '../metrics.constants';
import { MetricsError } from '../metrics.error';
import type { MetricsModuleOptions } from '../metrics.interface';
import { METRICS_MODULE_OPTIONS } from '../metrics.module-definition';

const LINT_FAILING_DEFAULTS = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
];

type MetricClass = typeof Counter | typeof Gauge | typeof Histogram | typeof Summary;

/**
 * The application's prom-client registry (one per app instance, never the global default, so
 * several apps in one process do not clash) and idempotent get-or-create helpers: any module
 * may ask for a series by name at any time and gets the same instance back.
 *
 * This is how other libs register collectors, as they register health indicators: a collector
 * lives in the lib that owns the data, injects MetricsService optionally (a lib also works in an
 * app without metrics) and asks for its series, e.g. (secrets refresh):
 *   metrics.counter({ name: 'mira_secrets_refresh_total', help: '...', labelNames: ['backend', 'result'] })
 *     .inc({ backend: 'vault', result: 'ok' });
 * Label values must come from small fixed sets (never ids, URLs or user input).
 */
@Injectable()
export class MetricsService implements OnModuleDestroy {
  readonly registry = new Registry();

  constructor(
    @Optional() @Inject(METRICS_MODULE_OPTIONS) readonly options: MetricsModuleOptions | null = null,
  ) {
    if (options?.defaultLabels) this.registry.setDefaultLabels(options.defaultLabels);
    if (options?.defaultMetrics !== false) {
      collectDefaultMetrics({ register: this.registry });
      // Gauges named *_total fail `promtool check metrics`; the per-type series without the
      // suffix (nodejs_active_handles{type}, ...) carry the same information.
      for (const name of LINT_FAILING_DEFAULTS) this.registry.removeSingleMetric(name);
    }
    // The info-metric idiom: a constant 1 whose labels say which build and runtime run here.
    new Gauge({
      name: METRIC_NAMES.buildInfo,
      help: 'Build information: the service version and the Node.js version, always 1',
      labelNames: ['version', 'node'],
      registers: [this.registry],
    }).set({ version: options?.version ?? 'unknown', node: process.version }, 1);
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The exposition text (runs every series' collect callback first). */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  counter<T extends string = string>(config: Omit<CounterConfiguration<T>, 'registers'>): Counter<T> {
    return this.getOrCreate(Counter, config, () => new Counter({ ...config, registers: [this.registry] }));
  }

  /**
   * A counter mirroring running totals kept elsewhere (a store's reload count, a transport's drop
   * count): at each scrape it advances by what each total grew since the last one, never back.
   * `read` answers the totals by label set (`[{}, n]` for a counter without labels).
   */
  counterFromTotals<T extends string = string>(
    config: Omit<CounterConfiguration<T>, 'registers' | 'collect'>,
    read: () => Iterable<readonly [Partial<Record<T, string>>, number]>,
  ): Counter<T> {
    const seen = new Map<string, number>();
    return this.counter<T>({
      ...config,
      collect() {
        for (const [labels, total] of read()) {
          const key = JSON.stringify(labels);
          const before = seen.get(key) ?? 0;
          // inc by 0 too: a label set shows as 0 before its first event, not absent.
          this.inc(labels, Math.max(0, total - before));
          seen.set(key, Math.max(before, total));
        }
      },
    });
  }

  gauge<T extends string = string>(config: Omit<GaugeConfiguration<T>, 'registers'>): Gauge<T> {
    return this.getOrCreate(Gauge, config, () => new Gauge({ ...config, registers: [this.registry] }));
  }

  histogram<T extends string = string>(config: Omit<HistogramConfiguration<T>, 'registers'>): Histogram<T> {
    return this.getOrCreate(
      Histogram,
      config,
      () => new Histogram({ ...config, registers: [this.registry] }),
    );
  }

  summary<T extends string = string>(config: Omit<SummaryConfiguration<T>, 'registers'>): Summary<T> {
    return this.getOrCreate(Summary, config, () => new Summary({ ...config, registers: [this.registry] }));
  }

  onModuleDestroy(): void {
    this.registry.clear();
  }

  private getOrCreate<M>(
    kind: MetricClass,
    config: { name: string; labelNames?: readonly string[] },
    create: () => M,
  ): M {
    const existing = this.registry.getSingleMetric(config.name) as Metric | undefined;
    if (!existing) return create();
    const existingLabels = [...((existing as unknown as { labelNames?: string[] }).labelNames ?? [])].sort();
    const wanted = [...(config.labelNames ?? [])].sort();
    if (!(existing instanceof kind) || existingLabels.join(',') !== wanted.join(',')) {
      throw new MetricsError(
        'METRICS_CONFLICT',
        `Metric ${config.name} is already registered as a ${existing.constructor.name} with labels [${existingLabels.join(', ')}]; ` +
          `reuse the same type and label names or pick another name`,
      );
    }
    return existing as unknown as M;
  }
}
