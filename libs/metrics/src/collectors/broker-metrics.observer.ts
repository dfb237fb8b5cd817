import { Inject, Injectable, Optional } from '@nestjs/common';
import type { Counter, Histogram } from 'prom-client';
import {
  BrokerObserverProvider,
  MESSAGE_BROKER,
  type BrokerObserver,
  type MessageBroker,
} from '@mira/broker';
import { METRIC_NAMES } from '../metrics.constants';
import { MetricsService } from '../metrics.service';
import { MessageTypeLabels } from './message-type-labels';

/**
 * Broker series: counters from the observer hook every transport calls, queue depth and
 * in-flight gauges read from `stats()` at scrape time (no timers).
 */
@Injectable()
@BrokerObserverProvider()
export class BrokerMetricsObserver implements BrokerObserver {
  private readonly published: Counter<'type'>;
  private readonly delivered: Counter<'type'>;
  private readonly failed: Counter<'type'>;
  private readonly duration: Histogram<'type'>;

  constructor(
    metrics: MetricsService,
    private readonly types: MessageTypeLabels,
    @Optional() @Inject(MESSAGE_BROKER) broker: MessageBroker | null = null,
  ) {
    this.published = metrics.counter({
      name: METRIC_NAMES.brokerPublished,
      help: 'Messages accepted by the broker, by message type',
      labelNames: ['type'],
    });
    this.delivered = metrics.counter({
      name: METRIC_NAMES.brokerDelivered,
      help: 'Handler invocations that completed, by message type',
      labelNames: ['type'],
    });
    this.failed = metrics.counter({
      name: METRIC_NAMES.brokerFailed,
      help: 'Handler invocations that threw or rejected, by message type',
      labelNames: ['type'],
    });
    this.duration = metrics.histogram({
      name: METRIC_NAMES.brokerHandlerDuration,
      help: 'Broker handler duration in seconds, by message type',
      labelNames: ['type'],
      buckets: [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30],
    });
    if (!broker) return;
    metrics.gauge({
      name: METRIC_NAMES.brokerQueueDepth,
      help: 'Messages accepted and waiting for delivery',
      collect() {
        this.set(broker.stats().queued);
      },
    });
    metrics.gauge({
      name: METRIC_NAMES.brokerInFlight,
      help: 'Handler invocations running now',
      collect() {
        this.set(broker.stats().in_flight);
      },
    });
    // The transport keeps a running total; the counter advances by the difference at each scrape.
    let counted = 0;
    metrics.counter({
      name: METRIC_NAMES.brokerDropped,
      help: 'Messages dropped (undelivered at stop)',
      collect() {
        const dropped = broker.stats().dropped;
        if (dropped > counted) this.inc(dropped - counted);
        counted = Math.max(counted, dropped);
      },
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
}
