import { TransportSubscription } from '../broker.message';
import { BrokerError } from '../broker.error';
import type {
  BrokerHealth,
  DrainResult,
  MessageBroker,
  MessageHandler,
  PublishOptions,
  SubscribeOptions,
  Subscription,
} from '../broker.interface';
import type { AckBatcher } from './redis-ack.batcher';
import { errorText } from './redis.codec';
import { RedisClaims } from './redis.claims';
import { RedisConnection } from './redis.connection';
import { consumerAcks } from './redis-ack.batcher';
import { RedisConsumer } from './redis.consumer';
import type { HeldEntry } from './redis.delivery';
import { RedisDeadLetters } from './redis.dead-letters';
import { RedisHealth } from './redis.health';
import { RedisIdempotencyStore } from './redis.idempotency';
import type { DeadLetter, RedisBrokerStats, RedisTransportOptions } from './redis.interface';
import { defaultConsumerName } from './redis.options';
import { within } from './redis.policies';
import { checkType, RedisPublisher } from './redis.publisher';
import { newRuntime, type RedisRuntime } from './redis.runtime';

/**
 * Redis Streams transport: one stream per message type, one consumer group per subscription
 * group (fan-out across groups, competing consumers within one, across processes), acks only
 * after the handler succeeded, retries with backoff then dead-letters, reclaims entries of dead
 * consumers after the visibility timeout and keeps extending the claim of slow handlers.
 *
 * A facade: each job lives in a collaborator (connection, publisher, one consumer per
 * subscription, claims, dead letters, health); this class wires them and owns the lifecycle.
 */
export class RedisTransport implements MessageBroker {
  readonly transport = 'redis';
  readonly consumerName: string;
  readonly idempotency: RedisIdempotencyStore;
  private readonly rt: RedisRuntime;
  private readonly connection: RedisConnection;
  private readonly publisher: RedisPublisher;
  private readonly dead: RedisDeadLetters;
  private readonly claims: RedisClaims;
  private readonly groups: RedisHealth;
  private readonly consumers = new Map<string, RedisConsumer>();
  private readonly acks: AckBatcher<HeldEntry | null>;
  private subSeq = 0;

  constructor(options: RedisTransportOptions) {
    this.rt = newRuntime(options);
    this.consumerName = options.consumerName ?? defaultConsumerName();
    this.connection = new RedisConnection(this.rt, this.consumerName);
    this.publisher = new RedisPublisher(this.rt, this.connection);
    this.dead = new RedisDeadLetters(this.rt, this.connection);
    const consumers = () => this.consumers.values();
    this.claims = new RedisClaims(this.rt, this.connection, consumers);
    this.groups = new RedisHealth(this.rt, this.connection, consumers);
    this.idempotency = new RedisIdempotencyStore(
      () => this.connection.client,
      `${options.streamPrefix}idempotency:`,
    );
    this.acks = consumerAcks(this.rt, this.connection);
  }

  /** The stream key of a message type. */
  streamOf(type: string): string {
    return this.publisher.streamOf(type);
  }

  get deadLetterStream(): string {
    return this.dead.stream;
  }

  async start(): Promise<void> {
    const life = this.rt.lifecycle;
    if (life.started) return;
    if (life.stopped)
      throw new BrokerError('BROKER_STOPPED', 'The Redis transport was stopped; create a new one to restart');
    await this.connection.open();
    life.started = true;
    this.claims.start(() => this.groups.pollIfDue());
    for (const c of this.consumers.values()) c.startReading();
  }

  publish<T>(
    type: string,
    data: T,
    headers?: Record<string, string>,
    options?: PublishOptions,
  ): Promise<string> {
    return this.publisher.publish(type, data, headers, options);
  }

  async subscribe<T>(
    type: string | readonly string[],
    handler: MessageHandler<T>,
    options: SubscribeOptions = {},
  ): Promise<Subscription> {
    const types = typeof type === 'string' ? [type] : [...new Set(type)];
    if (types.length === 0)
      throw new BrokerError('BROKER_INVALID_MESSAGE', 'subscribe needs one or more non-empty message types');
    types.forEach(checkType);
    if (typeof handler !== 'function')
      throw new BrokerError('BROKER_INVALID_MESSAGE', 'subscribe needs a handler function');
    if (this.rt.lifecycle.stopped)
      throw new BrokerError('BROKER_STOPPED', 'Broker is stopped; cannot subscribe');
    const id = `sub-${++this.subSeq}`;
    const name = `${this.consumerName}-${this.subSeq}`;
    const ephemeral = options.group === undefined;
    const group = options.group ?? `~${name}`;
    const c = new RedisConsumer(
      { runtime: this.rt, connection: this.connection, acks: this.acks, deadLetters: this.dead },
      {
        sub: new TransportSubscription(id, types, ephemeral ? id : group, this),
        handler: handler as MessageHandler<any>,
        name,
        group,
        ephemeral,
        streams: new Map(types.map((t) => [t, this.streamOf(t)])),
        readerRole: `reader-${this.subSeq}`,
      },
    );
    if (this.connection.client) {
      try {
        await c.ensureGroups();
      } catch (err) {
        throw new BrokerError(
          'BROKER_UNAVAILABLE',
          `Could not create consumer group ${group} on Redis (${errorText(err)}); retry when Redis is reachable`,
          true,
        );
      }
    }
    this.consumers.set(id, c);
    if (this.rt.lifecycle.started) c.startReading();
    return c.sub;
  }

  async unsubscribe(subscription: Subscription | string): Promise<void> {
    const id = typeof subscription === 'string' ? subscription : subscription.id;
    const c = this.consumers.get(id);
    if (!c) return;
    await c.stopReading();
    await c.waitIdle(this.rt.options.visibilityTimeoutMs);
    await this.acks.whenIdle();
    c.abandonRetries();
    this.consumers.delete(id);
    await c.retire();
  }

  /**
   * Stops reading, lets in-flight handlers finish and acknowledges them. Messages not read yet
   * stay in the stream for other replicas; messages waiting for a retry stay pending and are
   * reclaimed by another consumer after the visibility timeout. Publishing stays open so that
   * handlers finishing now can still publish their results.
   */
  async drain(timeoutMs = 30000): Promise<DrainResult> {
    const deadline = Date.now() + timeoutMs;
    const all = [...this.consumers.values()];
    await Promise.all(all.map((c) => c.stopReading()));
    for (const c of all) c.abandonRetries();
    const left = () => Math.max(0, deadline - Date.now());
    await Promise.all(all.map((c) => c.waitIdle(left())));
    await within(left(), this.acks.whenIdle());
    const inFlight = all.reduce((n, c) => n + c.running, 0);
    const unacked = all.reduce((n, c) => n + c.held.size, 0);
    return {
      completed: inFlight === 0 && this.acks.size === 0,
      in_flight: inFlight,
      queued: unacked - inFlight,
    };
  }

  async stop(): Promise<void> {
    const life = this.rt.lifecycle;
    if (life.stopped) return;
    life.accepting = false;
    life.stopped = true;
    this.claims.stop();
    const all = [...this.consumers.values()];
    await Promise.all(all.map((c) => c.stopReading()));
    for (const c of all) c.abandonRetries();
    // Acks already issued get one chance to land; later failures leave entries pending for others.
    await within(this.rt.options.commandTimeoutMs, this.acks.whenIdle());
    for (const c of all) await c.retire();
    this.consumers.clear();
    await this.connection.close();
  }

  stats(): RedisBrokerStats {
    const counters = this.rt.counters;
    const held = [...this.consumers.values()].reduce((n, c) => n + c.held.size, 0);
    return { ...counters, queued: Math.max(0, held - counters.in_flight), ...this.groups.totals() };
  }

  health(): Promise<BrokerHealth> {
    return this.groups.check(() => this.stats(), this.consumerName);
  }

  /** The newest dead-lettered messages (newest first), for operators and tests. */
  deadLetters(count = 100): Promise<DeadLetter[]> {
    return this.dead.list(count);
  }
}
