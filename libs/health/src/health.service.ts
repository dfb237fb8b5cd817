import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { HealthIndicatorProvider } from './health.decorator';
import type {
  HealthCheckValue,
  HealthContributor,
  HealthIndicatorOptions,
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

export function worst(statuses: HealthStatus[]): HealthStatus {
  return statuses.reduce<HealthStatus>((acc, s) => (RANK[s] > RANK[acc] ? s : acc), 'healthy');
}

/** Runs every discovered (and programmatically added) indicator and aggregates the answer. */
@Injectable()
export class HealthService implements OnApplicationBootstrap {
  private readonly logger = new Logger('Health');
  private readonly entries = new Map<string, Entry>();
  private cache: { at: number; report: Promise<HealthReport> } | null = null;

  constructor(
    private readonly discovery: DiscoveryService,
    @Inject(HEALTH_MODULE_OPTIONS) private readonly options: HealthModuleOptions,
  ) {}

  onApplicationBootstrap(): void {
    for (const wrapper of this.discovery.getProviders({ metadataKey: HealthIndicatorProvider.KEY })) {
      const options = this.discovery.getMetadataByDecorator(HealthIndicatorProvider, wrapper);
      if (options && wrapper.instance) this.register(options, wrapper.instance as HealthContributor);
    }
  }

  /** Adds an indicator by hand (for code that is not a provider). Returns an unregister function. */
  register(options: HealthIndicatorOptions, contributor: HealthContributor): () => void {
    if (typeof contributor?.check !== 'function')
      throw new Error(`Health indicator ${options.name} must implement check()`);
    if (this.entries.has(options.name))
      this.logger.warn(`Health indicator ${options.name} registered twice; the last one wins`);
    this.entries.set(options.name, { options, contributor });
    this.cache = null;
    return () => {
      this.entries.delete(options.name);
      this.cache = null;
    };
  }

  names(): string[] {
    return [...this.entries.keys()];
  }

  /** The full report; cached for `cacheTtlMs`. */
  report(): Promise<HealthReport> {
    const ttl = this.options.cacheTtlMs ?? 0;
    const now = Date.now();
    if (this.cache && now - this.cache.at < ttl) return this.cache.report;
    const report = this.run([...this.entries.values()]);
    this.cache = { at: now, report };
    return report;
  }

  /** Only indicators that gate readiness. */
  async readiness(): Promise<HealthReport> {
    const full = await this.report();
    const checks: Record<string, HealthCheckValue> = {};
    for (const e of this.entries.values()) {
      if (e.options.readiness !== false && e.options.name in full.checks)
        checks[e.options.name] = full.checks[e.options.name];
    }
    return { status: aggregate(checks), checks };
  }

  private async run(entries: Entry[]): Promise<HealthReport> {
    const timeout = this.options.indicatorTimeoutMs ?? 2000;
    const results = await Promise.all(entries.map((e) => this.runOne(e, timeout)));
    const checks: Record<string, HealthCheckValue> = {};
    entries.forEach((e, i) => (checks[e.options.name] = results[i]));
    return { status: aggregate(checks), checks };
  }

  private async runOne(entry: Entry, timeoutMs: number): Promise<HealthCheckValue> {
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        Promise.resolve().then(() => entry.contributor.check()),
        new Promise<HealthCheckValue>((resolve) => {
          timer = setTimeout(
            () => resolve({ status: 'unhealthy', reason: `check timed out after ${timeoutMs} ms` }),
            timeoutMs,
          );
        }),
      ]);
    } catch (err) {
      // Indicators should return values; a throwing one is reported, not propagated.
      return { status: 'unhealthy', reason: `check failed: ${(err as Error).message}` };
    } finally {
      clearTimeout(timer);
    }
  }
}

export function aggregate(checks: Record<string, HealthCheckValue>): HealthStatus {
  return worst(
    Object.values(checks)
      .filter(
        (v): v is Exclude<HealthCheckValue, number | string | boolean> => typeof v === 'object' && v !== null,
      )
      .map((v) => v.status),
  );
}
