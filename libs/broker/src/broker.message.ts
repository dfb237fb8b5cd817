import type { BrokerMessage, MessageBroker, Subscription } from './broker.interface';

/** A delivered message with its ISO timestamp formatted on first read. */
export class TransportMessage<T = unknown> implements BrokerMessage<T> {
  private iso: string | undefined;
  constructor(
    readonly id: string,
    readonly type: string,
    readonly data: T,
    readonly headers: Readonly<Record<string, string>>,
    private readonly ms: number,
  ) {}
  // Formatting a date costs more than the rest of a publish; most handlers never read it.
  get timestamp(): string {
    return (this.iso ??= new Date(this.ms).toISOString());
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
