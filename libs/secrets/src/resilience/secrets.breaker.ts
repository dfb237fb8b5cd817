import {
  circuitBreaker,
  CircuitState as PolicyState,
  handleAll,
  isBrokenCircuitError,
  isIsolatedCircuitError,
  isTaskCancelledError,
  SamplingBreaker,
  timeout,
  TimeoutStrategy,
  type CircuitBreakerPolicy,
  type IDisposable,
  type TimeoutPolicy,
} from 'cockatiel';
import { SecretsError } from '../secrets.error';
import type { CircuitState, SecretsConfig } from '../secrets.interface';
import { isTransient } from './secrets.transient';

/** The failure rate is sampled over this window (what opossum's rolling window was). */
const SAMPLING_WINDOW_MS = 10_000;

const STATE: Record<PolicyState, CircuitState> = {
  [PolicyState.Closed]: 'closed',
  [PolicyState.HalfOpen]: 'half_open',
  [PolicyState.Open]: 'open',
  [PolicyState.Isolated]: 'open',
};

/** A non-transient answer (404, 403) carried past the breaker as a value, so it counts as a success. */
class Passed {
  constructor(readonly passed: unknown) {}
}

/**
 * cockatiel timeout + circuit breaker around a backend's API calls: once `volume_threshold` calls in
 * the last 10 s have failed more than `error_threshold_percentage` of the time, calls fail fast with
 * SECRETS_CIRCUIT_OPEN (the service then serves cached values); after `reset_timeout` the next call is
 * a half-open probe that closes the circuit again on success. Only transient failures (and timeouts)
 * count; not-found and access-denied answers count as successes, as they did under opossum.
 */
export class SecretsCircuitBreaker {
  private readonly breaker: CircuitBreakerPolicy | null;
  private readonly timeout: TimeoutPolicy | null;
  private readonly listener: IDisposable | null;

  constructor(
    private readonly backend: string,
    options: SecretsConfig['circuit_breaker'],
    onStateChange: (state: CircuitState) => void = () => undefined,
  ) {
    if (!options.enabled) {
      this.breaker = this.timeout = this.listener = null;
      return;
    }
    this.timeout = timeout(Math.round(options.timeout * 1000), TimeoutStrategy.Aggressive);
    // The rate must exceed the threshold to open, so 100 % never opens (SamplingBreaker wants < 1).
    this.breaker =
      options.error_threshold_percentage >= 100
        ? null
        : circuitBreaker(handleAll, {
            halfOpenAfter: Math.round(options.reset_timeout * 1000),
            breaker: new SamplingBreaker({
              threshold: options.error_threshold_percentage / 100,
              duration: SAMPLING_WINDOW_MS,
              // At least volume_threshold calls in the window before the rate is judged.
              minimumRps: options.volume_threshold / (SAMPLING_WINDOW_MS / 1000),
            }),
          });
    this.listener = this.breaker?.onStateChange((state) => onStateChange(STATE[state])) ?? null;
  }

  get state(): CircuitState {
    return this.breaker ? STATE[this.breaker.state] : 'closed';
  }

  async call<T>(fn: () => Promise<T>): Promise<T> {
    if (!this.timeout) return fn();
    const guarded = async (): Promise<T | Passed> => {
      try {
        return await this.timeout!.execute(() => fn());
      } catch (err) {
        if (isTaskCancelledError(err))
          throw new SecretsError(
            'SECRETS_BACKEND_UNAVAILABLE',
            `The ${this.backend} secrets backend timed out`,
            { transient: true, cause: err },
          );
        if (!isTransient(err)) return new Passed(err);
        throw err;
      }
    };
    let result: T | Passed;
    try {
      result = this.breaker ? await this.breaker.execute(guarded) : await guarded();
    } catch (err) {
      if (isBrokenCircuitError(err) || isIsolatedCircuitError(err))
        throw new SecretsError(
          'SECRETS_CIRCUIT_OPEN',
          `The ${this.backend} secrets backend circuit is open after repeated failures; serving cached values until a probe succeeds`,
          { transient: false },
        );
      throw err;
    }
    if (result instanceof Passed) throw result.passed;
    return result as T;
  }

  shutdown(): void {
    this.listener?.dispose();
  }
}
