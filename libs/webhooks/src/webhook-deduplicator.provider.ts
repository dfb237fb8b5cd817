import { Inject, Injectable, Logger, type Provider } from '@nestjs/common';
import { idempotencyStoreOf, MESSAGE_BROKER, type MessageBroker } from '@mira/broker';
import { MemoryDeduplicator } from './memory-deduplicator';
import type { DeliveryDeduplicator, WebhookClock } from './webhook.interface';
import { MEMORY_DEDUP_CAPACITY, WEBHOOK_CLOCK, WEBHOOK_DEDUPLICATOR } from './webhooks.constants';

/**
 * Uses the broker's idempotency store (Redis SET NX PX, shared by every replica) when the active
 * transport has one, else a bounded in-memory LRU. Looked up per call because the transport is
 * only started after module init.
 */
@Injectable()
export class BrokerOrMemoryDeduplicator implements DeliveryDeduplicator {
  private readonly logger = new Logger('WebhookDedup');
  private readonly memory: MemoryDeduplicator;
  private announced: string | null = null;

  constructor(
    @Inject(MESSAGE_BROKER) private readonly broker: MessageBroker,
    @Inject(WEBHOOK_CLOCK) clock: WebhookClock,
  ) {
    this.memory = new MemoryDeduplicator(MEMORY_DEDUP_CAPACITY, () => clock.now());
  }

  get kind(): string {
    return this.store().kind;
  }

  claim(key: string, ttlMs: number): Promise<boolean> {
    return this.store().claim(key, Math.max(1, Math.round(ttlMs)));
  }

  release(key: string): Promise<void> {
    return this.store().release(key);
  }

  extend(key: string, ttlMs: number): Promise<boolean> {
    return this.store().extend(key, Math.max(1, Math.round(ttlMs)));
  }

  private store(): DeliveryDeduplicator {
    let shared = null;
    try {
      shared = idempotencyStoreOf(this.broker);
    } catch {
      shared = null; // broker not started yet
    }
    const store: DeliveryDeduplicator = shared
      ? {
          kind: `broker:${this.broker.transport}`,
          claim: (k, t) => shared.claim(k, t),
          release: (k) => shared.release(k),
          extend: (k, t) => shared.extend(k, t),
        }
      : this.memory;
    if (this.announced !== store.kind) {
      this.announced = store.kind;
      this.logger.log(
        `Webhook delivery ids are de-duplicated in ${store.kind === 'memory' ? 'memory (per replica)' : 'Redis (shared)'}`,
      );
    }
    return store;
  }
}

export const webhookDeduplicatorProvider: Provider[] = [
  BrokerOrMemoryDeduplicator,
  { provide: WEBHOOK_DEDUPLICATOR, useExisting: BrokerOrMemoryDeduplicator },
];
