import { Injectable, ServiceUnavailableException } from '@nestjs/common';
import { HealthCheckService, type HealthIndicatorFunction } from '@nestjs/terminus';
import type { ProbeAnswer, ProbeName } from './health.interface';
import { HealthService } from './health.service';

/**
 * The answer (status code and body) of each health endpoint, shared by the controller and the
 * fast path so both serve the same thing. `/healthz` has the foundation shape (healthy and
 * degraded 200, unhealthy 503); the Kubernetes probes have terminus' `{ status, info, error,
 * details }` shape, with terminus deciding the status.
 */
@Injectable()
export class HealthProbes {
  constructor(
    private readonly health: HealthService,
    private readonly terminus: HealthCheckService,
  ) {}

  answer(probe: ProbeName): Promise<ProbeAnswer> {
    switch (probe) {
      case 'live':
        return this.live();
      case 'ready':
        return this.ready();
      case 'startup':
        return this.startup();
      default:
        return this.full();
    }
  }

  /** Every check (indicator results are cached for `cache_ttl_ms` by HealthService). */
  async full(): Promise<ProbeAnswer> {
    const report = await this.health.report();
    return { statusCode: report.status === 'unhealthy' ? 503 : 200, body: report };
  }

  /** 200 while the event loop turns; never fails for a dependency or during a drain. */
  live(): Promise<ProbeAnswer> {
    return this.check([() => this.health.liveness(this.health.eventLoopLagMs())]);
  }

  /** 503 before startup completes, while shutting down, or when a readiness indicator is down. */
  async ready(): Promise<ProbeAnswer> {
    const results = await this.health.readinessIndicators();
    return this.check(results.map((r) => () => r));
  }

  /** 200 once initialisation (and every tracked startup task) finished. */
  startup(): Promise<ProbeAnswer> {
    return this.check([() => this.health.startup()]);
  }

  /** terminus' 503 is a thrown exception carrying the full result: turned back into a value. */
  private async check(indicators: HealthIndicatorFunction[]): Promise<ProbeAnswer> {
    try {
      return { statusCode: 200, body: await this.terminus.check(indicators) };
    } catch (err) {
      if (!(err instanceof ServiceUnavailableException)) throw err;
      return { statusCode: 503, body: err.getResponse() };
    }
  }
}
