import type {
  BrokerContextPropagator,
  BrokerMessage,
  MessageBroker,
  MessageHandler,
  Subscription,
} from './broker.interface';
import { traceDelivery, tracingOn } from './broker.tracing';

/** The headers of every message published without any; frozen so no handler can write into it. */
export const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze({});

/**
 * Calls a subscriber's handler inside a consumer span (tracing on; its parent is the publisher's
 * span from the headers) and the propagator's context scope when there is one; returns what it
 * returned (a thenable for an async handler) and lets a synchronous throw through.
 */
export function callHandler(
  handler: MessageHandler<any>,
  message: BrokerMessage<unknown>,
  propagator: BrokerContextPropagator | null | undefined,
  system = 'mira.memory',
): unknown {
  // Tracing off (the default): no span, and one closure per delivery fewer.
  if (!tracingOn())
    return propagator ? propagator.run(message.headers, () => handler(message)) : handler(message);
  return traceDelivery(system, message, () =>
    propagator ? propagator.run(message.headers, () => handler(message)) : handler(message),
  );
}

export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null && typeof value === 'object' && typeof (value as PromiseLike<unknown>).then === 'function'
  );
}

/** A delivered message with its ISO timestamp formatted on first read. */
export class TransportMessage<T = unknown> implements BrokerMessage<T> {
  private iso: string | undefined;
  constructor(
    readonly id: string,
    readonly type: string,
    readonly data: T,
    readonly headers: Readonly<Record<string, string>>,
    protected readonly ms: number,
  ) {}
  // Formatting a date costs more than the rest of a publish; most handlers never read it.
  get timestamp(): string {
    return (this.iso ??= new Date(this.epochMs()).toISOString());
  }
  /** Publication time in epoch milliseconds. */
  protected epochMs(): number {
    return this.ms;
  }
  toJSON(): object {
    return {
      id: this.id,
      type: this.type,
      data: this.data,
      headers: this.headers,
      timestamp: this.timestamp,
    };
  }
}

/** The handle subscribe() returns; unsubscribing goes back to the transport that made it. */
export class TransportSubscription implements Subscription {
  constructor(
    readonly id: string,
    readonly types: readonly string[],
    readonly group: string,
    private readonly owner: Pick<MessageBroker, 'unsubscribe'>,
  ) {}
  unsubscribe(): Promise<void> {
    return this.owner.unsubscribe(this);
  }
}
