import { Injectable, ServiceUnavailableException } from '@nestjs/common';
import { HealthCheckService, type HealthIndicatorFunction } from '@nestjs/terminus';
import type { FullHealthReport, ProbeAnswer, ProbeName } from './health.interface';
import { HealthService } from './health.service';

/**
 * The answer (status code and body) of each health endpoint, shared by the controller and the
 * fast path so both serve the same thing. `/healthz` has the foundation shape (healthy and
 * degraded 200, unhealthy 503); the Kubernetes probes have terminus' `{ status, info, error,
 * details }` shape, with terminus deciding the status.
 */
@Injectable()
export class HealthProbes {
  private lastLive: { lag: number; answer: ProbeAnswer } | null = null;
  private lastFull: ProbeAnswer | null = null;

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

  /**
   * Every check. Indicator results are cached for `cache_ttl_ms`, so consecutive reports are
   * often equal: then the previous answer (the same object) is returned, which lets the fast
   * path reuse its JSON instead of serialising an identical body again.
   */
  async full(): Promise<ProbeAnswer> {
    const report = await this.health.report();
    const last = this.lastFull;
    if (last !== null && sameReport(last.body as FullHealthReport, report)) return last;
    const answer: ProbeAnswer = { statusCode: report.status === 'unhealthy' ? 503 : 200, body: report };
    this.lastFull = answer;
    return answer;
  }

  /**
   * 200 while the event loop turns; never fails for a dependency or during a drain. The answer
   * depends on the lag figure alone (whole milliseconds, which rarely change between probes),
   * so the last answer is reused while the figure is the same.
   */
  live(): Promise<ProbeAnswer> {
    const lag = this.health.eventLoopLagMs();
    const last = this.lastLive;
    if (last !== null && last.lag === lag) return Promise.resolve(last.answer);
    return this.check([() => this.health.liveness(lag)]).then((answer) => {
      this.lastLive = { lag, answer };
      return answer;
    });
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

/** Same figures and the very same check results (cached results keep their identity). */
function sameReport(a: FullHealthReport, b: FullHealthReport): boolean {
  if (
    a.status !== b.status ||
    a.started !== b.started ||
    a.shutting_down !== b.shutting_down ||
    a.event_loop_lag_ms !== b.event_loop_lag_ms ||
    a.uptime_s !== b.uptime_s
  )
    return false;
  const keys = Object.keys(b.checks);
  if (Object.keys(a.checks).length !== keys.length) return false;
  for (const k of keys) if (a.checks[k] !== b.checks[k]) return false;
  return true;
}
