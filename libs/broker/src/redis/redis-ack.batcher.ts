import type { RedisConnection } from './redis.connection';
import { errorText } from './redis.codec';
import type { HeldEntry } from './redis.delivery';
import { JitteredBackoff } from './redis.policies';
import type { RedisRuntime } from './redis.runtime';

interface Batch<T> {
  stream: string;
  group: string;
  ids: string[];
  items: T[];
}

export interface AckBatcherOptions<T> {
  send(stream: string, group: string, ids: string[]): Promise<unknown>;
  /** Delay before re-sending acks that failed (connection loss); null gives up. */
  retryDelay(failures: number): number | null;
  onError(err: unknown, count: number): void;
  /**
   * Called for each acked item once its ack reached Redis, or with `false` when it was given up
   * (the entry stays pending). One callback for all: no closure per message.
   */
  done(item: T, acked: boolean): void;
}

/**
 * Acknowledgements issued in the same tick travel as one XACK per stream and group: a
 * consumer finishing a batch of handlers costs one round trip, not one per message.
 * Failed acks are re-sent (the entries stay ours, the claim extender keeps them).
 */
export class AckBatcher<T> {
  private batches = new Map<string, Batch<T>>();
  private last: Batch<T> | null = null;
  private scheduled = false;
  private outstanding = 0;
  private failures = 0;
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly options: AckBatcherOptions<T>) {}

  get size(): number {
    return this.outstanding;
  }

  ack(stream: string, group: string, id: string, item: T): void {
    // Acks come in runs for one stream and group (a read batch): the last batch is tried first.
    let b = this.last;
    if (b === null || b.stream !== stream || b.group !== group) {
      const key = `${stream}\u0000${group}`;
      b = this.batches.get(key) ?? null;
      if (b === null) {
        b = { stream, group, ids: [], items: [] };
        this.batches.set(key, b);
      }
      this.last = b;
    }
    b.ids.push(id);
    b.items.push(item);
    this.outstanding++;
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flush);
    }
  }

  whenIdle(): Promise<void> {
    if (this.outstanding === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private readonly flush = (): void => {
    this.scheduled = false;
    const batches = [...this.batches.values()];
    this.batches.clear();
    this.last = null;
    for (const b of batches) {
      this.options.send(b.stream, b.group, b.ids).then(
        () => {
          this.failures = 0;
          this.settle(b, true);
        },
        (err: unknown) => {
          this.options.onError(err, b.ids.length);
          const delay = this.options.retryDelay(++this.failures);
          if (delay === null) return this.settle(b, false);
          const t = setTimeout(() => {
            this.outstanding -= b.ids.length;
            for (let i = 0; i < b.ids.length; i++) this.ack(b.stream, b.group, b.ids[i], b.items[i]);
          }, delay);
          t.unref?.();
        },
      );
    }
  };

  private settle(b: Batch<T>, acked: boolean): void {
    this.outstanding -= b.ids.length;
    const done = this.options.done;
    for (const item of b.items) done(item, acked);
    if (this.outstanding === 0) {
      const w = this.idleWaiters;
      this.idleWaiters = [];
      for (const f of w) f();
    }
  }
}

/**
 * The acknowledgements of every consumer of one transport: acks issued in the same tick travel as
 * one XACK per stream and group; failed acks are re-sent while the transport runs.
 */
export function consumerAcks(rt: RedisRuntime, connection: RedisConnection): AckBatcher<HeldEntry | null> {
  const backoff = new JitteredBackoff(50, Math.min(rt.options.reconnectMaxDelayMs, 2000));
  return new AckBatcher({
    // async: after stop() require() throws, and the batcher flushes from setImmediate, where a
    // synchronous throw would be an uncaught exception; a rejection is retried or given up.
    send: async (stream, group, ids) => connection.require().xack(stream, group, ...ids),
    // Keep re-sending while running: an unacked entry would be redelivered after the visibility timeout.
    retryDelay: (n) => (rt.lifecycle.stopped ? null : backoff.delay(n)),
    onError: (err, count) => rt.log.warnOnce(`Could not acknowledge ${count} message(s): ${errorText(err)}`),
    done: (d, acked) => {
      if (d === null) return; // an entry trimmed away while pending: nothing was held
      if (acked) rt.counters.acked++;
      d.consumer.release(d);
    },
  });
}
