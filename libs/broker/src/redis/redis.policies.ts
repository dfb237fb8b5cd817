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
