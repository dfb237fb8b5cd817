import { Inject, Injectable, Logger, Optional, type OnModuleInit, type Provider } from '@nestjs/common';
import { RedisIdempotencyStore, type IdempotencyStore } from '@mira/broker';
import { ConfigStore } from '@mira/config';
import { RedisConnections } from '@mira/redis';
import { MemoryDeduplicator } from './memory-deduplicator';
import type { DeliveryDeduplicator, WebhookClock } from './webhook.interface';
import { MEMORY_DEDUP_CAPACITY, WEBHOOK_CLOCK, WEBHOOK_DEDUPLICATOR } from './webhooks.constants';

/** The de-duplicator's client among the shared Redis connections. */
const CLIENT_NAME = 'webhook-dedupe';
/** How long start waits for that client: a slow Redis must not hold the start (the broker checks it). */
const CONNECT_WAIT_MS = 2000;

/**
 * Delivery ids in Redis (SET NX PX, shared by every replica) when the deployment has a Redis
 * (RedisConnections enabled), else in a bounded in-memory LRU. Keys stay where the broker's
 * idempotency store kept them (`<stream_prefix>idempotency:<service>:<delivery id>`), so replicas
 * of the previous version and this one see each other's claims during a rolling update.
 */
@Injectable()
export class RedisOrMemoryDeduplicator implements DeliveryDeduplicator, OnModuleInit {
  private readonly logger = new Logger('WebhookDedup');
  private readonly memory: MemoryDeduplicator;
  private shared: IdempotencyStore | null = null;

  constructor(
    private readonly config: ConfigStore,
    @Inject(WEBHOOK_CLOCK) clock: WebhookClock,
    @Optional() @Inject(RedisConnections) private readonly connections: RedisConnections | null = null,
  ) {
    this.memory = new MemoryDeduplicator(MEMORY_DEDUP_CAPACITY, () => clock.now());
  }

  async onModuleInit(): Promise<void> {
    const connections = this.connections?.enabled ? this.connections : null;
    if (connections) {
      const redis = this.config.get('broker').redis;
      this.shared = new RedisIdempotencyStore(
        () => connections.peek(CLIENT_NAME),
        `${redis.stream_prefix}idempotency:`,
      );
      await connections.client(CLIENT_NAME, { commandTimeoutMs: redis.command_timeout_ms });
      // Connected before the first delivery when Redis is up; a delivery meanwhile is refused as
      // unavailable (the provider retries), never let through unchecked.
      await connections.ready(CLIENT_NAME, CONNECT_WAIT_MS).catch(() => undefined);
    }
    this.logger.log(
      `Webhook delivery ids are de-duplicated in ${this.shared ? 'Redis (shared)' : 'memory (per replica)'}`,
    );
  }

  get kind(): string {
    return this.shared ? 'redis' : this.memory.kind;
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

  private store(): IdempotencyStore {
    return this.shared ?? this.memory;
  }
}

export const webhookDeduplicatorProvider: Provider[] = [
  RedisOrMemoryDeduplicator,
  { provide: WEBHOOK_DEDUPLICATOR, useExisting: RedisOrMemoryDeduplicator },
];
