import { Injectable } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import type { Counter } from 'prom-client';
import {
  BrokerObserverProvider,
  MESSAGE_BROKER,
  type MessageBroker,
  type RedisBrokerObserver,
} from '@mira/broker';
import { HealthProbes } from '@mira/health';
import { MetricsService } from '../metrics.service';
import { MessageTypeLabels } from './message-type-labels';

/**
 * The series the alert rules need beyond traffic counters (deploy/monitoring): readiness as
 * the probe answers it, whether the broker's connection is up, and dead letters. Read at scrape
 * time (no timers); providers are looked up lazily so an app without health or a broker still
 * scrapes.
 */
@Injectable()
@BrokerObserverProvider()
export class HealthMetricsCollector implements RedisBrokerObserver {
  private readonly deadLettered: Counter<'type'>;

  constructor(
    metrics: MetricsService,
    private readonly types: MessageTypeLabels,
    moduleRef: ModuleRef,
  ) {
    const find = <T>(token: unknown): T | null => {
      try {
        return moduleRef.get(token as never, { strict: false }) as T;
      } catch {
        return null;
      }
    };
    metrics.gauge({
      name: 'mira_ready',
      help: 'Readiness as /healthz/ready answers it: 1 ready, 0 not (starting, draining, or a dependency unusable)',
      async collect() {
        const probes = find<HealthProbes>(HealthProbes);
        if (!probes) return;
        const answer = await probes.ready().catch(() => null);
        this.set(answer?.statusCode === 200 ? 1 : 0);
      },
    });
    metrics.gauge<'transport'>({
      name: 'mira_broker_connected',
      help: 'Broker connection state by transport: 1 connected, 0 not (e.g. Redis unreachable)',
      labelNames: ['transport'],
      async collect() {
        const broker = find<MessageBroker>(MESSAGE_BROKER);
        if (!broker) return;
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

  onDeadLettered(type: string): void {
    this.deadLettered.inc({ type: this.types.value(type) });
  }
}
