import {
  ExponentialBackoff,
  halfJitterGenerator,
  handleWhen,
  retry,
  TaskCancelledError,
  timeout,
  TimeoutStrategy,
  type IExponentialBackoffOptions,
  type RetryPolicy,
} from 'cockatiel';

/**
 * Exponential backoff with jitter in [delay/2, delay] (cockatiel's half-jitter generator): delays
 * bounded by `maxMs`, and replicas retrying after the same outage do not align.
 */
export class JitteredBackoff {
  /** For cockatiel retry policies: the first delay is `baseMs` (jittered), then doubling. */
  readonly factory: ExponentialBackoff<number>;
  private readonly options: IExponentialBackoffOptions<number>;

  constructor(baseMs: number, maxMs: number) {
    this.options = { generator: halfJitterGenerator, initialDelay: baseMs, maxDelay: maxMs, exponent: 2 };
    this.factory = new ExponentialBackoff(this.options);
  }

  /**
   * The delay before retry number `attempt` (from 1), straight from the generator: retries that
   * are timers rather than a retry loop (handler attempts, whose count may come from Redis when
   * an entry is reclaimed) and ioredis' retryStrategy ask for the n-th delay directly.
   */
  delay(attempt: number): number {
    return halfJitterGenerator(Math.max(0, attempt - 1), this.options)[0];
  }
}

/**
 * Retries `fn` with `backoff` for as long as `keepGoing()` holds (checked after each failure).
 * The timer is unref'd: a pending retry never holds the process open on the way out.
 */
export function retryWhile(keepGoing: () => boolean, backoff: JitteredBackoff): RetryPolicy {
  return retry(
    handleWhen(() => keepGoing()),
    { maxAttempts: Infinity, backoff: backoff.factory },
  ).dangerouslyUnref();
}

/** Waits for `work` at most `ms` (a bounded wait, not a cancellation); the timer goes as soon as `work` settles. */
export async function within(ms: number, work: Promise<unknown> | null): Promise<void> {
  try {
    await timeout(Math.max(0, ms), TimeoutStrategy.Aggressive)
      .dangerouslyUnref()
      .execute(() => work);
  } catch (err) {
    if (!(err instanceof TaskCancelledError)) throw err;
  }
}

/**
 * Whether a handler's error says a dependency is unavailable rather than the message is at fault:
 * retryable unavailability of Redis, or of another dependency the handler needed (the state store
 * answers STATE_UNAVAILABLE), anywhere in its first five causes.
 */
export function isOutageError(err: unknown): boolean {
  for (let e = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const { code, retryable } = e as { code?: unknown; retryable?: unknown };
    if (
      retryable === true &&
      typeof code === 'string' &&
      (code.endsWith('_UNAVAILABLE') || code === 'BROKER_PUBLISH_UNCONFIRMED')
    )
      return true;
  }
  return false;
}

/**
 * Which server an outage error is about, for the log line: the state store when its code says so
 * (STATE_UNAVAILABLE), Redis for the broker's own codes, else the code itself.
 */
export function outageSource(err: unknown): string {
  for (let e = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const { code } = e as { code?: unknown };
    if (typeof code !== 'string') continue;
    if (code.startsWith('STATE_')) return 'the state store';
    if (code.startsWith('BROKER_') || code.startsWith('REDIS_')) return 'Redis';
    if (code.endsWith('_UNAVAILABLE')) return `a dependency (${code})`;
  }
  return 'Redis';
}

/** Callers waiting for one event (a consumer going idle): each wait ends at the event or after its timeout. */
export class Waiters {
  private waiting: (() => void)[] = [];

  wait(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, timeoutMs);
      this.waiting.push(done);
      function done() {
        clearTimeout(timer);
        resolve();
      }
    });
  }

  notify(): void {
    const w = this.waiting;
    this.waiting = [];
    for (const f of w) f();
  }
}

/**
 * A wait that ends after `ms`, when `done()` is called, or (with `client`) when the client
 * becomes ready; whichever comes first clears the others.
 */
export function wakeable(
  ms: number,
  client?: { once(e: 'ready', f: () => void): unknown; off(e: 'ready', f: () => void): unknown },
): { done: () => void; ended: Promise<void> } {
  let resolve!: () => void;
  const ended = new Promise<void>((r) => (resolve = r));
  const done = () => {
    clearTimeout(timer);
    client?.off('ready', done);
    resolve();
  };
  const timer = setTimeout(done, ms);
  client?.once('ready', done);
  return { done, ended };
}
