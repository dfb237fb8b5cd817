import type { Counter, Histogram } from 'prom-client';
import type { MetricsService } from '@mira/metrics';
import { BrokerObserverProvider } from '../broker.decorators';
import type { MessageBroker } from '../broker.interface';
import type { RedisBrokerObserver } from '../redis/redis.interface';
import type { MessageTypeLabels } from './message-type-labels';

/** Running totals of one `type` label value, and its handler-duration series. */
interface TypeSeries {
  readonly labels: { readonly type: string };
  readonly duration: { observe(seconds: number): void };
  published: number;
  delivered: number;
  failed: number;
  deadLettered: number;
}

type Total = 'published' | 'delivered' | 'failed' | 'deadLettered';

/** Raw message types remembered with their series; beyond it the memo starts over (labels stay bounded). */
const MAX_REMEMBERED_TYPES = 1024;

/**
 * Broker series: counters from the observer hook every transport calls (dead letters from the
 * Redis transport's extra hook), queue depth, in-flight and connection gauges read from the
 * broker at scrape time (no timers). Provided through metricsCollector (BrokerModule): an app
 * without MetricsService has no such observer.
 *
 * Hooks run per message: each counts into plain numbers of its type's series (one Map lookup;
 * no label object, hash or validation per message) that the counters read at scrape time, and
 * observes durations on the histogram's child of that label.
 */
@BrokerObserverProvider()
export class BrokerMetrics implements RedisBrokerObserver {
  private readonly duration: Histogram<'type'>;
  /** By label value: the totals behind the counters. */
  private readonly byLabel = new Map<string, TypeSeries>();
  /** By raw message type: its label's series, valid for one version of the registered types. */
  private byType = new Map<string, TypeSeries>();
  private typesVersion: number;

  constructor(
    metrics: MetricsService,
    private readonly types: MessageTypeLabels,
    broker: MessageBroker,
  ) {
    this.typesVersion = types.version;
    const totals = (name: string, help: string, total: Total): Counter<'type'> =>
      metrics.counterFromTotals<'type'>({ name, help, labelNames: ['type'] }, () => this.totals(total));
    totals(
      'mira_broker_messages_published_total',
      'Messages accepted by the broker, by message type',
      'published',
    );
    totals(
      'mira_broker_messages_delivered_total',
      'Handler invocations that completed, by message type',
      'delivered',
    );
    totals(
      'mira_broker_messages_failed_total',
      'Handler invocations that threw or rejected, by message type',
      'failed',
    );
    this.duration = metrics.histogram({
      name: 'mira_broker_handler_duration_seconds',
      help: 'Broker handler duration in seconds, by message type',
      labelNames: ['type'],
      buckets: [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30],
    });
    metrics.gauge({
      name: 'mira_broker_queue_depth',
      help: 'Messages accepted and waiting for delivery',
      collect() {
        this.set(broker.stats().queued);
      },
    });
    metrics.gauge({
      name: 'mira_broker_in_flight',
      help: 'Handler invocations running now',
      collect() {
        this.set(broker.stats().in_flight);
      },
    });
    // The transport keeps a running total; the counter advances by the difference at each scrape.
    metrics.counterFromTotals(
      { name: 'mira_broker_messages_dropped_total', help: 'Messages dropped (undelivered at stop)' },
      () => [[{}, broker.stats().dropped]],
    );
    // For the alert rules (deploy/monitoring): is the connection up, and what was dead-lettered.
    metrics.gauge<'transport'>({
      name: 'mira_broker_connected',
      help: 'Broker connection state by transport: 1 connected, 0 not (e.g. Redis unreachable)',
      labelNames: ['transport'],
      async collect() {
        const health = await broker.health().catch(() => null);
        this.set({ transport: broker.transport }, health?.connected ? 1 : 0);
      },
    });
    totals(
      'mira_broker_messages_dead_lettered_total',
      'Messages moved to the dead-letter stream after their last failed attempt, by message type',
      'deadLettered',
    );
  }

  onPublished(type: string): void {
    this.series(type).published++;
  }

  onDelivered(type: string, _group: string, durationMs: number): void {
    const series = this.series(type);
    series.delivered++;
    series.duration.observe(durationMs / 1000);
  }

  onFailed(type: string): void {
    this.series(type).failed++;
  }

  onDeadLettered(type: string): void {
    this.series(type).deadLettered++;
  }

  private series(type: string): TypeSeries {
    if (this.typesVersion !== this.types.version) {
      this.typesVersion = this.types.version;
      this.byType = new Map();
    }
    const known = this.byType.get(type);
    if (known) return known;
    const label = this.types.value(type);
    let series = this.byLabel.get(label);
    if (!series) {
      const labels = { type: label };
      series = {
        labels,
        duration: this.duration.labels(labels),
        published: 0,
        delivered: 0,
        failed: 0,
        deadLettered: 0,
      };
      this.byLabel.set(label, series);
    }
    if (this.byType.size >= MAX_REMEMBERED_TYPES) this.byType = new Map();
    this.byType.set(type, series);
    return series;
  }

  /** Label sets with a total above zero: a series appears with its first event, as with inc(). */
  private *totals(total: Total): Iterable<readonly [{ type: string }, number]> {
    for (const series of this.byLabel.values()) if (series[total] > 0) yield [series.labels, series[total]];
  }
}
