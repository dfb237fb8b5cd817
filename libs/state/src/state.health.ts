import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorProvider, type HealthContributor, type HealthIndicatorResult } from '@mira/health';
import { STATE_HEALTH_NAME, STATE_PING_TIMEOUT_MS, STATE_STORE } from './state.constants';
import { StateError } from './state.error';
import type { StateStore } from './state.interface';

/**
 * `state`: a `select 1` round trip with a short limit; unhealthy (readiness 503) when the store
 * cannot answer, since no workflow can be recorded then. Details are the backend and the latency
 * only: never the URL, the path's credentials or a raw driver message.
 */
@Injectable()
@HealthIndicatorProvider({ name: STATE_HEALTH_NAME })
export class StateHealthIndicator implements HealthContributor {
  private readonly timeoutMs = STATE_PING_TIMEOUT_MS;

  constructor(@Inject(STATE_STORE) private readonly store: StateStore) {}

  async check(): Promise<HealthIndicatorResult> {
    const started = performance.now();
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.store.ping(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error('timeout')), this.timeoutMs);
        }),
      ]);
      return {
        status: 'healthy',
        backend: this.store.backend,
        latency_ms: Math.round((performance.now() - started) * 10) / 10,
      };
    } catch (err) {
      const reason =
        err instanceof StateError
          ? err.code
          : (err as Error).message === 'timeout'
            ? `no answer within ${this.timeoutMs} ms`
            : 'STATE_UNAVAILABLE';
      return {
        status: 'unhealthy',
        reason: `state store unreachable (${reason})`,
        backend: this.store.backend,
      };
    } finally {
      clearTimeout(timer);
    }
  }
}
