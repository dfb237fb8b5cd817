import { formatRef } from '../secrets.error';
import type { SecretsMetricsSink } from '../secrets.interface';

export interface SecretsStats {
  backend: string;
  /** Reads that reached the backend (after coalescing, counting each retry attempt). */
  backendCalls: number;
  cached: number;
  stale: number;
  /** Age in seconds of the oldest value served stale, null when none. */
  oldestStaleAgeSeconds: number | null;
  /** Each secret served stale and why (references and reasons only, never values). */
  staleSecrets: { ref: string; reason: string | null }[];
  lastRefreshAt: string | null;
  refreshes: { ok: number; failed: number };
}

/** What the stats need of a cached secret: never its value. */
export interface CachedSecretState {
  name: string;
  key: string | undefined;
  /** ms epoch of the last successful read. */
  fetchedAt: number;
  /** ms epoch of the first failed refresh since the last success; null while fresh. */
  staleSince: number | null;
  lastError: string | null;
}

/** Counters for /healthz and the metrics sink (refresh results, last refresh, stale count). */
export class SecretsStatsRecorder {
  private backendCalls = 0;
  private readonly refreshes = { ok: 0, failed: 0 };
  private lastRefreshAt: number | null = null;

  constructor(
    private readonly backend: string,
    private readonly metrics?: SecretsMetricsSink | null,
  ) {}

  backendCall(): void {
    this.backendCalls++;
  }

  refresh(result: 'ok' | 'failed'): void {
    this.refreshes[result]++;
    this.metrics?.refresh(this.backend, result);
    if (result === 'ok') {
      this.lastRefreshAt = Date.now();
      this.metrics?.lastRefresh(this.backend, this.lastRefreshAt / 1000);
    }
  }

  stale(count: number): void {
    this.metrics?.stale(this.backend, count);
  }

  snapshot(entries: Iterable<CachedSecretState>, now = Date.now()): SecretsStats {
    let cached = 0;
    let oldest: number | null = null;
    const staleSecrets: SecretsStats['staleSecrets'] = [];
    for (const e of entries) {
      cached++;
      if (e.staleSince === null) continue;
      staleSecrets.push({ ref: formatRef(e.name, e.key), reason: e.lastError });
      oldest = oldest === null ? e.fetchedAt : Math.min(oldest, e.fetchedAt);
    }
    return {
      backend: this.backend,
      backendCalls: this.backendCalls,
      cached,
      stale: staleSecrets.length,
      oldestStaleAgeSeconds: oldest === null ? null : Math.round((now - oldest) / 100) / 10,
      staleSecrets,
      lastRefreshAt: this.lastRefreshAt === null ? null : new Date(this.lastRefreshAt).toISOString(),
      refreshes: { ...this.refreshes },
    };
  }
}
