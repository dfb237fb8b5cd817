import { randomBytes } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { REPLY_TO_HEADER } from '../broker.constants';
import { BrokerError } from '../broker.error';
import {
  callHandler,
  isThenable,
  NO_HEADERS,
  TransportMessage,
  TransportSubscription,
} from '../broker.message';
import { endPublishSpan, startPublishSpan, tracingOn } from '../broker.tracing';

/** messaging.system of in-process delivery (not a registered semconv value: it is ours). */
const MEMORY_SYSTEM = 'mira.memory';
import type {
  BrokerContextPropagator,
  BrokerHealth,
  BrokerObserver,
  BrokerStats,
  DrainResult,
  MessageBroker,
  MessageHandler,
  SubscribeOptions,
  Subscription,
} from '../broker.interface';

export interface MemoryTransportOptions {
  /** Messages accepted but not yet dispatched; publish refuses beyond it. */
  queueSize: number;
  /** Handler invocations running at once; dispatch pauses beyond it, so the queue takes the back-pressure. */
  maxInFlight?: number;
  propagator?: BrokerContextPropagator | null;
  observers?: BrokerObserver[];
}

/** Messages dispatched per macrotask before yielding to I/O. */
const BATCH = 1024;

interface Member {
  sub: TransportSubscription;
  handler: MessageHandler<any>;
}

interface Group {
  name: string;
  members: Member[];
  next: number;
}

/**
 * In-process transport: asynchronous delivery in batches, fan-out across groups, competing
 * members within a group, a bounded queue and a bounded number of handlers in flight.
 */
export class MemoryTransport implements MessageBroker {
  readonly transport = 'memory';
  private readonly logger = new Logger('MemoryBroker');
  private readonly groupsByType = new Map<string, Group[]>();
  private queue: TransportMessage<unknown>[] = [];
  private head = 0;
  private scheduled = false;
  private accepting = true;
  private running = true;
  private readonly idPrefix = `${randomBytes(4).toString('hex')}-`;
  private seq = 0;
  private subSeq = 0;
  private readonly counters = { published: 0, delivered: 0, failed: 0, in_flight: 0, dropped: 0 };
  private idleWaiters: (() => void)[] = [];
  private readonly maxInFlight: number;
  private readonly observers: BrokerObserver[];

  constructor(private options: MemoryTransportOptions) {
    this.maxInFlight = options.maxInFlight ?? Math.max(options.queueSize, 1);
    this.observers = options.observers ?? [];
  }

  /** Applies a new queue size (a hot config change); already queued messages are kept. */
  setQueueSize(size: number): void {
    this.options = { ...this.options, queueSize: size };
  }

  get queueSize(): number {
    return this.options.queueSize;
  }

  async start(): Promise<void> {
    this.accepting = true;
    this.running = true;
    this.schedule();
  }

  // Not `async`: the common path allocates one resolved promise and nothing else it can avoid.
  publish<T>(type: string, data: T, headers?: Record<string, string>): Promise<string> {
    if (typeof type !== 'string' || type.length === 0) {
      return Promise.reject(
        new BrokerError('BROKER_INVALID_MESSAGE', 'Message type must be a non-empty string'),
      );
    }
    if (!this.accepting && (!this.running || headers?.[REPLY_TO_HEADER] === undefined)) {
      return Promise.reject(
        new BrokerError(
          'BROKER_STOPPED',
          `Broker is shutting down and no longer accepts messages (type ${type}); retry against another replica`,
          true,
        ),
      );
    }
    if (this.queue.length - this.head >= this.options.queueSize) {
      return Promise.reject(
        new BrokerError(
          'BROKER_QUEUE_FULL',
          `Broker queue is full (${this.options.queueSize} messages waiting); retry later or raise broker.queue_size`,
          true,
        ),
      );
    }
    const id = this.idPrefix + ++this.seq;
    const propagator = this.options.propagator;
    const injected = propagator ? propagator.inject({ ...headers }) : headers ? { ...headers } : NO_HEADERS;
    if (tracingOn()) {
      const { span, headers: h } = startPublishSpan(MEMORY_SYSTEM, type, injected);
      this.queue.push(new TransportMessage(id, type, data, h, Date.now()));
      endPublishSpan(span, id);
    } else this.queue.push(new TransportMessage(id, type, data, injected, Date.now()));
    this.counters.published++;
    for (let i = 0; i < this.observers.length; i++) this.observers[i].onPublished?.(type);
    if (!this.scheduled) this.schedule();
    return Promise.resolve(id);
  }

  async subscribe<T>(
    type: string | readonly string[],
    handler: MessageHandler<T>,
    options: SubscribeOptions = {},
  ): Promise<Subscription> {
    const types = typeof type === 'string' ? [type] : [...type];
    if (types.length === 0 || types.some((t) => typeof t !== 'string' || t.length === 0)) {
      throw new BrokerError('BROKER_INVALID_MESSAGE', 'subscribe needs one or more non-empty message types');
    }
    if (typeof handler !== 'function')
      throw new BrokerError('BROKER_INVALID_MESSAGE', 'subscribe needs a handler function');
    const id = `sub-${++this.subSeq}`;
    const sub = new TransportSubscription(id, types, options.group ?? id, this);
    for (const t of types) {
      const groups = this.groupsByType.get(t) ?? [];
      let group = groups.find((g) => g.name === sub.group);
      if (!group) {
        group = { name: sub.group, members: [], next: 0 };
        groups.push(group);
      }
      group.members.push({ sub, handler: handler as MessageHandler<any> });
      this.groupsByType.set(t, groups);
    }
    return sub;
  }

  async unsubscribe(subscription: Subscription | string): Promise<void> {
    const id = typeof subscription === 'string' ? subscription : subscription.id;
    for (const [type, groups] of this.groupsByType) {
      for (const g of groups) g.members = g.members.filter((m) => m.sub.id !== id);
      const left = groups.filter((g) => g.members.length > 0);
      if (left.length) this.groupsByType.set(type, left);
      else this.groupsByType.delete(type);
    }
  }

  async drain(timeoutMs = 30000): Promise<DrainResult> {
    this.accepting = false;
    this.schedule();
    if (!this.isIdle()) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, timeoutMs);
        timer.unref?.();
        this.idleWaiters.push(done);
        function done() {
          clearTimeout(timer);
          resolve();
        }
      });
    }
    return {
      completed: this.isIdle(),
      in_flight: this.counters.in_flight,
      queued: this.queue.length - this.head,
    };
  }

  async stop(): Promise<void> {
    this.accepting = false;
    this.running = false;
    const left = this.queue.length - this.head;
    if (left > 0) {
      this.counters.dropped += left;
      this.logger.warn(`Broker stopped with ${left} undelivered message(s); they are dropped`);
    }
    this.queue = [];
    this.head = 0;
    this.notifyIdle();
  }

  stats(): BrokerStats {
    return { ...this.counters, queued: this.queue.length - this.head };
  }

  async health(): Promise<BrokerHealth> {
    const queued = this.queue.length - this.head;
    const nearlyFull = queued >= this.options.queueSize * 0.9;
    return {
      status: !this.running ? 'unhealthy' : nearlyFull ? 'degraded' : 'healthy',
      transport: this.transport,
      connected: this.running,
      ...(nearlyFull ? { reason: `queue ${queued}/${this.options.queueSize} nearly full` } : {}),
      details: { ...this.stats(), queue_size: this.options.queueSize, accepting: this.accepting },
    };
  }

  private isIdle(): boolean {
    return this.counters.in_flight === 0 && this.queue.length === this.head;
  }

  private schedule(): void {
    if (this.scheduled || !this.running) return;
    this.scheduled = true;
    setImmediate(this.pump);
  }

  private readonly pump = (): void => {
    this.scheduled = false;
    let n = 0;
    // Once per batch: with no propagator and tracing off, handlers are called directly.
    const plain = !this.options.propagator && !tracingOn();
    while (
      this.running &&
      this.head < this.queue.length &&
      this.counters.in_flight < this.maxInFlight &&
      n < BATCH
    ) {
      const msg = this.queue[this.head];
      this.queue[this.head++] = undefined as never;
      n++;
      const groups = this.groupsByType.get(msg.type);
      if (groups) {
        for (let i = 0; i < groups.length; i++) {
          const g = groups[i];
          // A handler earlier in this fan-out may have unsubscribed this group's last member.
          if (g.members.length === 0) continue;
          const member = g.members[g.next++ % g.members.length];
          this.invoke(member, g.name, msg, plain);
        }
      }
    }
    // Reset when drained; compact now and then otherwise, instead of shifting per message.
    if (this.head === this.queue.length) {
      this.queue.length = 0;
      this.head = 0;
    } else if (this.head > 4096 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    if (this.head < this.queue.length && this.counters.in_flight < this.maxInFlight) this.schedule();
    if (this.isIdle()) this.notifyIdle();
  };

  private invoke(member: Member, group: string, msg: TransportMessage<unknown>, plain: boolean): void {
    const observed = this.observers.length > 0;
    const started = observed ? performance.now() : 0;
    if (observed) for (const o of this.observers) o.onProcessing?.(msg, group);
    this.counters.in_flight++;
    let result: unknown;
    try {
      result = plain
        ? member.handler(msg)
        : callHandler(member.handler, msg, this.options.propagator, MEMORY_SYSTEM);
    } catch (err) {
      this.settle(false, group, msg, started, err);
      return;
    }
    if (isThenable(result)) {
      // One closure per delivery (the failure names the message); success without observers
      // needs nothing of it and shares one callback.
      result.then(observed ? () => this.settle(true, group, msg, started) : this.settledOk, (err: unknown) =>
        this.settle(false, group, msg, started, err),
      );
    } else {
      this.settle(true, group, msg, started);
    }
  }

  /** Success of an async handler when no observer wants its duration. */
  private readonly settledOk = (): void => {
    this.counters.in_flight--;
    this.counters.delivered++;
    if (this.head < this.queue.length) this.schedule();
    else if (this.counters.in_flight === 0) this.notifyIdle();
  };

  private settle(
    ok: boolean,
    group: string,
    msg: TransportMessage<unknown>,
    started: number,
    err?: unknown,
  ): void {
    this.counters.in_flight--;
    if (ok) {
      this.counters.delivered++;
      for (let i = 0; i < this.observers.length; i++)
        this.observers[i].onDelivered?.(msg.type, group, performance.now() - started);
    } else {
      this.counters.failed++;
      // Only the error's message: message data may hold anything and is never logged.
      this.logger.warn(
        `Handler of group ${group} failed for message ${msg.id} (${msg.type}): ${err instanceof Error ? err.message : String(err)}`,
      );
      for (const o of this.observers) o.onFailed?.(msg.type, group, err);
      // No retries in process: this failure is the message's last word for this group.
      const reason = err instanceof Error ? err.message : String(err);
      for (const o of this.observers) o.onMessageDeadLettered?.(msg, group, reason);
    }
    if (this.head < this.queue.length) this.schedule();
    else if (this.counters.in_flight === 0) this.notifyIdle();
  }

  private notifyIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }
}
