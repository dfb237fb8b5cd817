import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationShutdown,
  type OnModuleDestroy,
  type OnModuleInit,
  Optional,
} from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { ConfigStore } from '@mira/config';
import { BROKER_CONTEXT_PROPAGATOR } from './broker.constants';
import { BrokerObserverProvider, BrokerTransport } from './broker.decorators';
import { BrokerError } from './broker.error';
import type {
  BrokerContextPropagator,
  BrokerHealth,
  BrokerObserver,
  BrokerStats,
  DrainResult,
  MessageBroker,
  MessageHandler,
  PublishOptions,
  SubscribeOptions,
  Subscription,
} from './broker.interface';
import type { BrokerTransportFactory } from './broker-transport.interface';

/**
 * The MESSAGE_BROKER everyone injects: picks the transport named by `broker.transport` among
 * the @BrokerTransport providers at init and delegates to it.
 */
@Injectable()
export class BrokerService implements MessageBroker, OnModuleInit, OnModuleDestroy, OnApplicationShutdown {
  private readonly logger = new Logger('Broker');
  private delegate: MessageBroker | null = null;
  private factory: BrokerTransportFactory | null = null;
  private unsubscribeConfig: (() => void) | null = null;
  private stopped = false;

  constructor(
    private readonly config: ConfigStore,
    private readonly discovery: DiscoveryService,
    @Optional()
    @Inject(BROKER_CONTEXT_PROPAGATOR)
    private readonly propagator: BrokerContextPropagator | null = null,
  ) {}

  get transport(): string {
    return this.delegate?.transport ?? this.config.get('broker').transport;
  }

  /** The transport instance, for transport-specific extras (e.g. Redis idempotency helpers). */
  private notStarted(): BrokerError {
    return new BrokerError('BROKER_UNAVAILABLE', 'Broker is not started yet; use it after module init', true);
  }

  get active(): MessageBroker {
    if (!this.delegate)
      throw new BrokerError(
        'BROKER_UNAVAILABLE',
        'Broker is not started yet; inject it and use it after module init',
        true,
      );
    return this.delegate;
  }

  async onModuleInit(): Promise<void> {
    const name = this.config.get('broker').transport;
    const factories = this.discovery.getProviders({ metadataKey: BrokerTransport.KEY });
    const wrapper = factories.find((w) => this.discovery.getMetadataByDecorator(BrokerTransport, w) === name);
    if (!wrapper?.instance) {
      const known = factories
        .map((w) => this.discovery.getMetadataByDecorator(BrokerTransport, w))
        .join(', ');
      throw new BrokerError(
        'BROKER_UNKNOWN_TRANSPORT',
        `broker.transport: no transport named "${name}" (available: ${known}); import the module that provides it or fix the config`,
      );
    }
    const observers = this.discovery
      .getProviders({ metadataKey: BrokerObserverProvider.KEY })
      .map((w) => w.instance as BrokerObserver)
      .filter(Boolean);
    this.factory = wrapper.instance as BrokerTransportFactory;
    this.delegate = await this.factory.create({
      config: this.config.current,
      propagator: this.propagator,
      observers,
    });
    await this.delegate.start();
    this.unsubscribeConfig = this.config.onChange(({ changes, current }) => {
      const applied = this.factory?.reconfigure?.(this.active, current.broker) ?? false;
      const paths = changes.map((c) => c.path).join(', ');
      if (applied && changes.every((c) => c.path === 'broker.queue_size'))
        this.logger.log(`Applied broker change live: ${paths}`);
      else this.logger.warn(`Broker settings changed (${paths}); this change takes effect after a restart`);
    }, 'broker');
    this.logger.log(`Broker started on the ${this.delegate.transport} transport`);
  }

  publish<T>(
    type: string,
    data: T,
    headers?: Record<string, string>,
    options?: PublishOptions,
  ): Promise<string> {
    return this.delegate
      ? this.delegate.publish(type, data, headers, options)
      : Promise.reject(this.notStarted());
  }

  subscribe<T>(
    type: string | readonly string[],
    handler: MessageHandler<T>,
    options?: SubscribeOptions,
  ): Promise<Subscription> {
    return this.delegate
      ? this.delegate.subscribe(type, handler, options)
      : Promise.reject(this.notStarted());
  }

  unsubscribe(subscription: Subscription | string): Promise<void> {
    return this.delegate ? this.delegate.unsubscribe(subscription) : Promise.reject(this.notStarted());
  }

  start(): Promise<void> {
    return this.delegate ? this.delegate.start() : Promise.reject(this.notStarted());
  }

  async stop(): Promise<void> {
    if (this.stopped || !this.delegate) return;
    this.stopped = true;
    await this.delegate.stop();
  }

  drain(timeoutMs?: number): Promise<DrainResult> {
    return this.delegate ? this.delegate.drain(timeoutMs) : Promise.reject(this.notStarted());
  }

  stats(): BrokerStats {
    return this.delegate
      ? this.delegate.stats()
      : { published: 0, delivered: 0, failed: 0, in_flight: 0, queued: 0, dropped: 0 };
  }

  async health(): Promise<BrokerHealth> {
    if (!this.delegate)
      return {
        status: 'unhealthy',
        transport: this.transport,
        connected: false,
        reason: 'broker not started',
      };
    return this.delegate.health();
  }

  onModuleDestroy(): void {
    this.unsubscribeConfig?.();
  }

  /** Fallback when no shutdown module drains the broker first: finish in-flight work, then stop. */
  async onApplicationShutdown(): Promise<void> {
    if (!this.delegate || this.stopped) return;
    const { completed, in_flight, queued } = await this.delegate.drain(
      this.config.get('shutdown').timeout_ms,
    );
    if (!completed)
      this.logger.warn(`Broker drain timed out with ${in_flight} handler(s) in flight and ${queued} queued`);
    await this.stop();
  }
}
