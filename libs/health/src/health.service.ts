import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { HealthIndicatorService, type HealthIndicatorResult as TerminusResult } from '@nestjs/terminus';
import { EventLoopMonitor } from './event-loop.monitor';
import { HealthIndicatorProvider } from './health.decorator';
import type {
  FullHealthReport,
  HealthCheckValue,
  HealthContributor,
  HealthIndicatorOptions,
  HealthLifecycle,
  HealthReport,
  HealthModuleOptions,
  HealthStatus,
} from './health.interface';
import { HEALTH_MODULE_OPTIONS } from './health.module-definition';

interface Entry {
  options: HealthIndicatorOptions;
  contributor: HealthContributor;
}

const RANK: Record<HealthStatus, number> = { healthy: 0, degraded: 1, unhealthy: 2 };
const TERMINUS_STATUS = { healthy: 'up', degraded: 'degraded', unhealthy: 'down' } as const;

export function worst(statuses: HealthStatus[]): HealthStatus {
  return statuses.reduce<HealthStatus>((acc, s) => (RANK[s] > RANK[acc] ? s : acc), 'healthy');
}

function isResult(v: HealthCheckValue): v is Exclude<HealthCheckValue, number | string | boolean> {
  return typeof v === 'object' && v !== null;
}

/**
 * Runs every discovered (and programmatically added) indicator and aggregates the answer;
 * also holds the process lifecycle the probes report (startup finished, shutting down) and
 * the event-loop lag liveness is judged on. Knows nothing of the modules that feed it.
 */
@Injectable()
export class HealthService implements OnApplicationBootstrap {
  private readonly logger = new Logger('Health');
  private readonly entries = new Map<string, Entry>();
  private readonly pendingStartup = new Set<string>();
  private readonly failedStartup = new Set<string>();
  private bootstrapped = false;
  private shuttingDown = false;

  constructor(
    private readonly discovery: DiscoveryService,
    @Inject(HEALTH_MODULE_OPTIONS) private readonly options: HealthModuleOptions,
    private readonly indicators: HealthIndicatorService,
    private readonly eventLoop: EventLoopMonitor,
  ) {}

  onApplicationBootstrap(): void {
    for (const wrapper of this.discovery.getProviders({ metadataKey: HealthIndicatorProvider.KEY })) {
      const options = this.discovery.getMetadataByDecorator(HealthIndicatorProvider, wrapper);
      if (options && wrapper.instance) this.register(options, wrapper.instance as HealthContributor);
    }
    this.bootstrapped = true;
  }

  /** Adds an indicator by hand (for code that is not a provider). Returns an unregister function. */
  register(options: HealthIndicatorOptions, contributor: HealthContributor): () => void {
    if (typeof contributor?.check !== 'function')
      throw new Error(`Health indicator ${options.name} must implement check()`);
    if (this.entries.has(options.name))
      this.logger.warn(`Health indicator ${options.name} registered twice; the last one wins`);
    const entry = { options, contributor };
    this.entries.set(options.name, entry);
    return () => {
      if (this.entries.get(options.name) === entry) this.entries.delete(options.name);
    };
  }

  names(): string[] {
    return [...this.entries.keys()];
  }

  /**
   * Startup stays incomplete (startup and readiness 503) until `task` settles; a rejected
   * task keeps it incomplete, so the startup probe fails and the orchestrator restarts the pod.
   */
  trackStartup(name: string, task: PromiseLike<unknown>): void {
    this.pendingStartup.add(name);
    Promise.resolve(task).then(
      () => {
        this.pendingStartup.delete(name);
        if (this.isStarted()) this.logger.log('Startup complete');
      },
      (err: unknown) => {
        this.pendingStartup.delete(name);
        this.failedStartup.add(name);
        this.logger.error(
          `Startup task ${name} failed: ${err instanceof Error ? err.message : String(err)}`,
          err instanceof Error ? err.stack : undefined,
        );
      },
    );
  }

  /** Readiness answers 503 from now on (the first step of the shutdown sequence). */
  markShuttingDown(): void {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    this.logger.log('Shutting down: readiness now answers 503');
  }

  isStarted(): boolean {
    return this.bootstrapped && this.pendingStartup.size === 0 && this.failedStartup.size === 0;
  }

  lifecycle(): HealthLifecycle {
    return {
      started: this.isStarted(),
      shutting_down: this.shuttingDown,
      pending: [...this.pendingStartup],
      failed: [...this.failedStartup],
    };
  }

  eventLoopLagMs(): number {
    return this.eventLoop.lagMs();
  }

  get eventLoopMaxLagMs(): number {
    return this.options.eventLoopMaxLagMs ?? 1000;
  }

  /** Liveness: only the event loop, never a dependency, never the lifecycle. */
  liveness(lag = this.eventLoop.lagMs()): TerminusResult<'event_loop'> {
    const max = this.eventLoopMaxLagMs;
    const session = this.indicators.check('event_loop');
    return lag > max
      ? session.down({ lag_ms: lag, max_lag_ms: max })
      : session.up({ lag_ms: lag, max_lag_ms: max });
  }

  /** Startup probe: initialisation (and every tracked startup task) finished. */
  startup(): TerminusResult<'startup'> {
    const session = this.indicators.check('startup');
    const { pending, failed } = this.lifecycle();
    if (this.isStarted()) return session.up();
    return session.down({
      message: this.bootstrapped ? 'startup tasks not finished' : 'initialising',
      pending,
      failed,
    });
  }

  /** Readiness as terminus indicator results: the lifecycle first, then every readiness indicator. */
  async readinessIndicators(): Promise<TerminusResult[]> {
    const lifecycle = this.indicators.check('lifecycle');
    const state = this.lifecycle();
    const gate = this.shuttingDown
      ? lifecycle.down({ message: 'shutting down', ...state })
      : !state.started
        ? lifecycle.down({ message: 'startup not complete', ...state })
        : lifecycle.up();
    const entries = [...this.entries.values()].filter((e) => e.options.readiness !== false);
    const values = await Promise.all(entries.map((e) => this.runOne(e)));
    const results: TerminusResult[] = [gate];
    entries.forEach((e, i) => {
      const v = values[i];
      if (!isResult(v)) return;
      const { status, ...details } = v;
      const session = this.indicators.check(e.options.name);
      const mapped = TERMINUS_STATUS[status] ?? 'down';
      results.push(
        mapped === 'up'
          ? session.up(details)
          : mapped === 'degraded'
            ? session.degraded(details)
            : session.down(details),
      );
    });
    return results;
  }

  /** Every indicator in the foundation's `{ status, checks }` shape, plus the process state. */
  async report(): Promise<FullHealthReport> {
    const entries = [...this.entries.values()];
    const values = await Promise.all(entries.map((e) => this.runOne(e)));
    const checks: Record<string, HealthCheckValue> = {};
    entries.forEach((e, i) => (checks[e.options.name] = values[i]));
    const lag = this.eventLoop.lagMs();
    const started = this.isStarted();
    // Starting or draining: still answering (200), but not taking traffic. Event-loop lag is
    // reported as a figure only; liveness is the probe that acts on it.
    const own: HealthStatus = !started || this.shuttingDown ? 'degraded' : 'healthy';
    return {
      status: worst([aggregate(checks), own]),
      checks,
      started,
      shutting_down: this.shuttingDown,
      event_loop_lag_ms: lag,
      uptime_s: Math.round(process.uptime()),
    };
  }

  /** Only indicators that gate readiness (in the `{ status, checks }` shape). */
  async readiness(): Promise<HealthReport> {
    const full = await this.report();
    const checks: Record<string, HealthCheckValue> = {};
    for (const e of this.entries.values()) {
      if (e.options.readiness !== false && e.options.name in full.checks)
        checks[e.options.name] = full.checks[e.options.name];
    }
    return { status: aggregate(checks), checks };
  }

  /**
   * One indicator through terminus' attempt runner: a time limit (with an AbortSignal),
   * a shared in-flight run and a result cache of `cacheTtlMs`, so probes cannot hammer
   * dependencies. A throw or a timeout becomes an unhealthy value, never an error.
   */
  private async runOne(entry: Entry): Promise<HealthCheckValue> {
    const name = entry.options.name;
    const attempt = this.indicators
      .check(name)
      .attempt(async () => ({ value: await entry.contributor.check() }))
      .withTimeout(this.options.indicatorTimeoutMs ?? 2000);
    const ttl = this.options.cacheTtlMs ?? 0;
    const detail = (await (ttl > 0 ? attempt.cacheFor(ttl) : attempt))[name] as {
      status: string;
      value?: HealthCheckValue;
      message?: string;
    };
    if (detail.status === 'up') return detail.value as HealthCheckValue;
    return { status: 'unhealthy', reason: `check failed: ${detail.message ?? 'unknown error'}` };
  }
}

export function aggregate(checks: Record<string, HealthCheckValue>): HealthStatus {
  return worst(
    Object.values(checks)
      .filter(isResult)
      .map((v) => v.status),
  );
}
