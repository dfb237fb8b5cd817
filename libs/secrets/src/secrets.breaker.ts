import CircuitBreaker from 'opossum';
import { SecretsError } from './secrets.error';
import type { CircuitState, SecretsConfig } from './secrets.interface';
import { isTransient } from './secrets.retry';

/**
 * opossum around a backend's API calls: after enough transient failures the circuit opens and calls
 * fail fast (the service then serves cached values) until a half-open probe succeeds.
 * Not-found and access-denied answers do not count as failures.
 */
export class SecretsCircuitBreaker {
  private readonly breaker: CircuitBreaker<[() => Promise<unknown>], unknown> | null;

  constructor(
    private readonly backend: string,
    options: SecretsConfig['circuit_breaker'],
    onStateChange: (state: CircuitState) => void = () => undefined,
  ) {
    if (!options.enabled) {
      this.breaker = null;
      return;
    }
    this.breaker = new CircuitBreaker((fn: () => Promise<unknown>) => fn(), {
      timeout: Math.round(options.timeout * 1000),
      errorThresholdPercentage: options.error_threshold_percentage,
      volumeThreshold: options.volume_threshold,
      resetTimeout: Math.round(options.reset_timeout * 1000),
      errorFilter: (err: unknown) => !isTransient(err),
      name: `secrets-${backend}`,
    });
    this.breaker.on('open', () => onStateChange('open'));
    this.breaker.on('halfOpen', () => onStateChange('half_open'));
    this.breaker.on('close', () => onStateChange('closed'));
  }

  get state(): CircuitState {
    if (!this.breaker) return 'closed';
    if (this.breaker.opened) return 'open';
    return this.breaker.halfOpen ? 'half_open' : 'closed';
  }

  async call<T>(fn: () => Promise<T>): Promise<T> {
    if (!this.breaker) return fn();
    try {
      return (await this.breaker.fire(fn)) as T;
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === 'EOPENBREAKER')
        throw new SecretsError(
          'SECRETS_CIRCUIT_OPEN',
          `The ${this.backend} secrets backend circuit is open after repeated failures; serving cached values until a probe succeeds`,
          { transient: false },
        );
      if (code === 'ETIMEDOUT' && !(err instanceof SecretsError))
        throw new SecretsError(
          'SECRETS_BACKEND_UNAVAILABLE',
          `The ${this.backend} secrets backend timed out`,
          {
            transient: true,
            cause: err,
          },
        );
      throw err;
    }
  }

  shutdown(): void {
    this.breaker?.shutdown();
  }
}
