/** Called once the ack reached Redis, or with `false` when it was given up (the entry stays pending). */
export type AckDone = (acked: boolean) => void;

interface Batch {
  stream: string;
  group: string;
  ids: string[];
  done: AckDone[];
}

export interface AckBatcherOptions {
  send(stream: string, group: string, ids: string[]): Promise<unknown>;
  /** Delay before re-sending acks that failed (connection loss); null gives up. */
  retryDelay(failures: number): number | null;
  onError(err: unknown, count: number): void;
}

/**
 * Acknowledgements issued in the same tick travel as one XACK per stream and group: a
 * consumer finishing a batch of handlers costs one round trip, not one per message.
 * Failed acks are re-sent (the entries stay ours, the claim extender keeps them).
 */
export class AckBatcher {
  private batches = new Map<string, Batch>();
  private scheduled = false;
  private outstanding = 0;
  private failures = 0;
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly options: AckBatcherOptions) {}

  get size(): number {
    return this.outstanding;
  }

  ack(stream: string, group: string, id: string, done: AckDone): void {
    const key = `${stream}\u0000${group}`;
    let b = this.batches.get(key);
    if (!b) {
      b = { stream, group, ids: [], done: [] };
      this.batches.set(key, b);
    }
    b.ids.push(id);
    b.done.push(done);
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
            for (let i = 0; i < b.ids.length; i++) this.ack(b.stream, b.group, b.ids[i], b.done[i]);
          }, delay);
          t.unref?.();
        },
      );
    }
  };

  private settle(b: Batch, acked: boolean): void {
    this.outstanding -= b.ids.length;
    for (const d of b.done) d(acked);
    if (this.outstanding === 0) {
      const w = this.idleWaiters;
      this.idleWaiters = [];
      for (const f of w) f();
    }
  }
}
