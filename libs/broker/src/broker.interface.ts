/** A message as delivered to handlers; `headers` carry correlation context across processes. */
export interface BrokerMessage<T = unknown> {
  readonly id: string;
  readonly type: string;
  readonly data: T;
  readonly headers: Readonly<Record<string, string>>;
  /** ISO-8601 UTC time of publication. */
  readonly timestamp: string;
}

export type MessageHandler<T = unknown> = (message: BrokerMessage<T>) => unknown | Promise<unknown>;

export interface SubscribeOptions {
  /**
   * Subscriptions sharing a group compete for messages (each message goes to one of them);
   * every distinct group gets every message. Default: a group of its own (plain fan-out).
   */
  group?: string;
}

export interface Subscription {
  readonly id: string;
  readonly types: readonly string[];
  readonly group: string;
  unsubscribe(): Promise<void>;
}

export interface PublishOptions {
  /**
   * Publishes at most once per key within `idempotencyTtlMs`: a repeat answers the first
   * publish's id without storing the message again (lets a client retry an unconfirmed publish).
   * Honoured by transports where a publish can have an unknown fate (Redis); the in-process
   * memory transport always knows the fate and ignores it.
   */
  idempotencyKey?: string;
  idempotencyTtlMs?: number;
}

export interface BrokerStats {
  published: number;
  delivered: number;
  failed: number;
  in_flight: number;
  queued: number;
  dropped: number;
}

export interface DrainResult {
  /** True when every in-flight handler (and queued message, if asked) finished in time. */
  completed: boolean;
  in_flight: number;
  queued: number;
}

export type BrokerHealthStatus = 'healthy' | 'degraded' | 'unhealthy';

export interface BrokerHealth {
  status: BrokerHealthStatus;
  transport: string;
  connected: boolean;
  reason?: string;
  details?: Record<string, unknown>;
}

/**
 * The broker contract every transport implements. Callers depend on this interface only
 * (inject MESSAGE_BROKER), so switching transports is a configuration change.
 */
export interface MessageBroker {
  readonly transport: string;
  /** Publishes and resolves with the message id; rejects with a BrokerError when it cannot accept. */
  publish<T = unknown>(
    type: string,
    data: T,
    headers?: Record<string, string>,
    options?: PublishOptions,
  ): Promise<string>;
  subscribe<T = unknown>(
    type: string | readonly string[],
    handler: MessageHandler<T>,
    options?: SubscribeOptions,
  ): Promise<Subscription>;
  unsubscribe(subscription: Subscription | string): Promise<void>;
  start(): Promise<void>;
  /** Stops intake and delivery; pending work is left as the transport defines (see drain). */
  stop(): Promise<void>;
  /** Stops taking new deliveries from the source and waits for in-flight handlers. */
  drain(timeoutMs?: number): Promise<DrainResult>;
  stats(): BrokerStats;
  health(): Promise<BrokerHealth>;
}

/**
 * Carries ambient context (correlation ids, ...) across the broker: `inject` runs at publish
 * time to add headers; `run` wraps each handler call to restore the context from the headers.
 */
export interface BrokerContextPropagator {
  inject(headers: Record<string, string>): Record<string, string>;
  run<R>(headers: Readonly<Record<string, string>>, fn: () => R): R;
}

/** What message lifecycle hooks see of a message: never its data. */
export interface BrokerMessageRef {
  readonly id: string;
  readonly type: string;
  readonly headers: Readonly<Record<string, string>>;
}

/** Observes broker events (metrics, event results); every method is optional and must not throw. */
export interface BrokerObserver {
  onPublished?(type: string): void;
  onDelivered?(type: string, group: string, durationMs: number): void;
  onFailed?(type: string, group: string, error: unknown): void;
  /** A handler of `group` starts on the message (once per attempt). */
  onProcessing?(message: BrokerMessageRef, group: string): void;
  /**
   * The transport gave up on the message for `group`: Redis moved it to the dead-letter stream
   * after its attempts; the memory transport, which never retries, after its one failed run.
   */
  onMessageDeadLettered?(message: BrokerMessageRef, group: string, error: string): void;
}
