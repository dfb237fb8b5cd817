import type { Counter, Histogram } from 'prom-client';
import type { MetricsService } from '@mira/metrics';
import { BrokerObserverProvider } from '../broker.decorators';
import type { MessageBroker } from '../broker.interface';
import type { RedisBrokerObserver } from '../redis/redis.interface';
import type { MessageTypeLabels } from './message-type-labels';

/**
 * Broker series: counters from the observer hook every transport calls (dead letters from the
 * Redis transport's extra hook), queue depth, in-flight and connection gauges read from the
 * broker at scrape time (no timers). Provided through metricsCollector (BrokerModule): an app
 * without MetricsService has no such observer.
 */
@BrokerObserverProvider()
export class BrokerMetrics implements RedisBrokerObserver {
  private readonly published: Counter<'type'>;
  private readonly delivered: Counter<'type'>;
  private readonly failed: Counter<'type'>;
  private readonly duration: Histogram<'type'>;
  private readonly deadLettered: Counter<'type'>;

  constructor(
    metrics: MetricsService,
    private readonly types: MessageTypeLabels,
    broker: MessageBroker,
  ) {
    this.published = metrics.counter({
      name: 'mira_broker_messages_published_total',
      help: 'Messages accepted by the broker, by message type',
      labelNames: ['type'],
    });
    this.delivered = metrics.counter({
      name: 'mira_broker_messages_delivered_total',
      help: 'Handler invocations that completed, by message type',
      labelNames: ['type'],
    });
    this.failed = metrics.counter({
      name: 'mira_broker_messages_failed_total',
      help: 'Handler invocations that threw or rejected, by message type',
      labelNames: ['type'],
    });
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
    this.deadLettered = metrics.counter({
      name: 'mira_broker_messages_dead_lettered_total',
      help: 'Messages moved to the dead-letter stream after their last failed attempt, by message type',
      labelNames: ['type'],
    });
  }

  onPublished(type: string): void {
    this.published.inc({ type: this.types.value(type) });
  }

  onDelivered(type: string, _group: string, durationMs: number): void {
    const label = { type: this.types.value(type) };
    this.delivered.inc(label);
    this.duration.observe(label, durationMs / 1000);
  }

  onFailed(type: string): void {
    this.failed.inc({ type: this.types.value(type) });
  }

  onDeadLettered(type: string): void {
    this.deadLettered.inc({ type: this.types.value(type) });
  }
}
