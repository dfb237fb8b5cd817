import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { ConfigStore } from '@mira/config';
import { ConnectorRegistry } from '../connectors/connector.registry';
import type { ProjectSource } from '../connectors/connector.interface';
import { Sleeper } from '../connectors/sleeper';
import { TrackerHttpClient } from '../connectors/tracker-http.client';
import { ProjectsError } from '../projects.error';
import { ProjectsMetrics } from '../projects.metrics';
import { ProjectsService, type ProjectDefinition } from '../projects.service';

export interface SourceSyncResult {
  source: string;
  status: 'success' | 'error';
  items: number;
  deleted: number;
  not_modified: number;
  rate_limit_waits: number;
  error: string | null;
}

/** Last outcome per connector kind on this replica, for its health check. */
export interface ConnectorState {
  failing: Map<string, string>;
  remaining: number | null;
}

const num = (v: unknown, def: number, min: number, max: number) => {
  const n = typeof v === 'string' ? Number(v) : v;
  return typeof n === 'number' && Number.isFinite(n) ? Math.min(max, Math.max(min, n)) : def;
};

/** Runs the sync of a project, source by source; one failing source never stops the others. */
@Injectable()
export class SyncService {
  private readonly logger = new Logger('Projects');
  private readonly clients = new Map<string, { client: TrackerHttpClient; key: string }>();
  readonly connectorStates = new Map<string, ConnectorState>();

  constructor(
    private readonly projects: ProjectsService,
    private readonly connectors: ConnectorRegistry,
    private readonly config: ConfigStore,
    private readonly sleeper: Sleeper,
    @Optional() @Inject(ProjectsMetrics) private readonly metrics: ProjectsMetrics | null,
  ) {}

  private readonly inFlight = new Map<string, Promise<{ project: string; sources: SourceSyncResult[] }>>();

  /** A sync already running for the project on this replica is joined, not started twice (cursors would race). */
  sync(name: string): Promise<{ project: string; sources: SourceSyncResult[] }> {
    let running = this.inFlight.get(name);
    if (!running) {
      running = this.run(name).finally(() => this.inFlight.delete(name));
      this.inFlight.set(name, running);
    }
    return running;
  }

  private async run(name: string): Promise<{ project: string; sources: SourceSyncResult[] }> {
    const project = await this.projects.get(name);
    const sources: SourceSyncResult[] = [];
    for (const source of project.sources) sources.push(await this.syncSource(project, source));
    return { project: name, sources };
  }

  stateOf(kind: string): ConnectorState {
    let s = this.connectorStates.get(kind);
    if (!s) this.connectorStates.set(kind, (s = { failing: new Map(), remaining: null }));
    return s;
  }

  private async syncSource(project: ProjectDefinition, source: ProjectSource): Promise<SourceSyncResult> {
    const connector = this.connectors.get(source.kind);
    const id = connector.sourceId(source);
    const store = this.projects.store;
    const state = (await store.syncStates(project.name)).find((s) => s.source === id);
    const http = this.client(source.kind);
    const before = { ...http.stats };
    const at = () => new Date(this.sleeper.now()).toISOString();
    const conn = this.stateOf(source.kind);
    try {
      const out = await connector.sync({
        source,
        statusMap: project.status_map,
        cursor: state?.cursor ?? null,
        http,
        credentials: { ...this.config.integration(source.kind) },
      });
      await store.upsertTasks(project.name, out.upserts);
      const deleted = await store.deleteTasks(project.name, id, out.deletions);
      await store.recordSync(project.name, id, at(), {
        ok: true,
        cursor: out.cursor,
        items: out.upserts.length,
      });
      this.metrics?.run(source.kind, 'success', out.upserts.length);
      conn.failing.delete(`${project.name}/${id}`);
      return this.result(id, 'success', out.upserts.length, deleted, http, before, null);
    } catch (err) {
      // Connector errors carry a fixing hint and no credential; anything else is a bug, told without detail.
      const message = err instanceof ProjectsError ? err.message : 'unexpected error (see the service log)';
      if (!(err instanceof ProjectsError))
        this.logger.error(`Sync of ${project.name}/${id} failed: ${(err as Error).stack}`);
      else this.logger.warn(`Sync of ${project.name}/${id} failed: ${message}`);
      await store.recordSync(project.name, id, at(), { ok: false, error: message });
      this.metrics?.run(source.kind, 'error', 0);
      conn.failing.set(`${project.name}/${id}`, message);
      return this.result(id, 'error', 0, 0, http, before, message);
    } finally {
      conn.remaining = http.stats.remaining;
      this.metrics?.rateLimit(source.kind, http.stats.remaining);
    }
  }

  private result(
    source: string,
    status: 'success' | 'error',
    items: number,
    deleted: number,
    http: TrackerHttpClient,
    before: TrackerHttpClient['stats'],
    error: string | null,
  ): SourceSyncResult {
    return {
      source,
      status,
      items,
      deleted,
      not_modified: http.stats.not_modified - before.not_modified,
      rate_limit_waits: http.stats.rate_limit_waits - before.rate_limit_waits,
      error,
    };
  }

  /** One client (so one breaker and one rate-limit view) per connector kind; rebuilt when its tuning changes. */
  client(kind: string): TrackerHttpClient {
    const settings = this.config.integration(kind);
    const tuning = {
      timeoutMs: num(settings.timeout_ms, 10_000, 100, 120_000),
      maxRetries: num(settings.max_retries, 3, 0, 10),
      retryBaseMs: num(settings.retry_base_ms, 500, 1, 60_000),
      breakerThreshold: num(settings.breaker_threshold, 5, 1, 100),
      breakerHalfOpenMs: num(settings.breaker_half_open_ms, 30_000, 100, 3_600_000),
      maxRateLimitWaitMs: num(settings.rate_limit_max_wait_seconds, 3600, 0, 86_400) * 1000,
    };
    const key = JSON.stringify(tuning);
    const existing = this.clients.get(kind);
    if (existing?.key === key) return existing.client;
    const client = new TrackerHttpClient(
      { source: kind, ...tuning, readRateLimit: this.connectors.get(kind).rateLimit },
      this.sleeper,
    );
    this.clients.set(kind, { client, key });
    return client;
  }
}
