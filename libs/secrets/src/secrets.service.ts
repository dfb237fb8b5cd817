import { createHash } from 'node:crypto';
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationShutdown,
  type OnModuleInit,
  Optional,
} from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { SECRETS_ENV, SECRETS_METRICS, SECRETS_REDACTION } from './secrets.constants';
import { SecretsBackendProvider } from './secrets.decorator';
import { formatRef, SecretNotFoundError, SecretsError } from './secrets.error';
import type {
  EnvRecord,
  RotationListener,
  SecretGetOptions,
  SecretsBackend,
  SecretsBackendHealth,
  SecretsMetricsSink,
  SecretsModuleOptions,
  SecretsRedactionSink,
} from './secrets.interface';
import { SECRETS_MODULE_OPTIONS } from './secrets.module-definition';
import { retryPolicyFrom, withRetry, type RetryPolicy } from './resilience/secrets.retry';

interface Entry {
  name: string;
  key: string | undefined;
  value: string;
  hash: string;
  /** ms epoch of the last successful read. */
  fetchedAt: number;
  expiresAt: number;
  /** ms epoch of the first failed refresh since the last success; null while fresh. */
  staleSince: number | null;
  lastError: string | null;
}

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

const cacheKey = (name: string, key: string | undefined) =>
  key === undefined ? name : `${name}\u0000${key}`;
const digest = (value: string) => createHash('sha256').update(value).digest('base64');

/**
 * Reads secrets from the configured backend with a TTL cache, coalescing of concurrent reads, retries
 * with backoff, stale-on-error, background refresh and rotation notifications. Values are never
 * logged: messages name the secret (`secret://name:key`) only.
 */
@Injectable()
export class SecretsService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('Secrets');
  private readonly backends = new Map<string, SecretsBackend>();
  private readonly cache = new Map<string, Entry>();
  private readonly inflight = new Map<string, Promise<string | undefined>>();
  private readonly listeners = new Set<RotationListener>();
  private readonly policy: RetryPolicy;
  private readonly ttlMs: number;
  private backend: SecretsBackend | null = null;
  private started: Promise<void> | null = null;
  private refreshTimer: NodeJS.Timeout | null = null;
  private closed = false;
  private backendCalls = 0;
  private refreshes = { ok: 0, failed: 0 };
  private lastRefreshAt: number | null = null;

  constructor(
    @Inject(SECRETS_MODULE_OPTIONS) readonly options: SecretsModuleOptions,
    @Inject(SECRETS_ENV) private readonly env: EnvRecord,
    @Optional() private readonly discovery?: DiscoveryService,
    @Optional() @Inject(SECRETS_REDACTION) private readonly redaction?: SecretsRedactionSink,
    @Optional() @Inject(SECRETS_METRICS) private readonly metrics?: SecretsMetricsSink,
  ) {
    this.policy = retryPolicyFrom(options.retry);
    this.ttlMs = options.cache_ttl * 1000;
  }

  get backendName(): string {
    return this.options.backend;
  }

  async onModuleInit(): Promise<void> {
    await this.start();
  }

  /** Adds a backend by hand (code outside Nest, tests); discovered providers are added at start. */
  registerBackend(name: string, backend: SecretsBackend): void {
    this.backends.set(name, backend);
  }

  /** Selects and initialises the backend once; later callers await the same start. */
  start(): Promise<void> {
    this.started ??= this.doStart();
    return this.started;
  }

  private async doStart(): Promise<void> {
    for (const wrapper of this.discovery?.getProviders({ metadataKey: SecretsBackendProvider.KEY }) ?? []) {
      const name = this.discovery!.getMetadataByDecorator(SecretsBackendProvider, wrapper);
      if (name && wrapper.instance && !this.backends.has(name))
        this.backends.set(name, wrapper.instance as SecretsBackend);
    }
    const backend = this.backends.get(this.options.backend);
    if (!backend) {
      throw new SecretsError(
        'SECRETS_BACKEND_UNKNOWN',
        `secrets.backend is "${this.options.backend}" but no such backend is registered (known: ${[...this.backends.keys()].sort().join(', ')}); fix secrets.backend / MIRA_SECRETS_BACKEND`,
      );
    }
    await backend.init?.({
      options: this.options,
      env: this.env,
      logger: this.logger,
      notifyChanged: (name) => void this.refreshName(name),
      reportCircuit: (state) => this.metrics?.circuitState(this.options.backend, state),
    });
    this.backend = backend;
    if (this.options.auto_refresh) this.scheduleRefresh();
    this.logger.log(`Secrets backend: ${this.options.backend}`);
  }

  /**
   * The value of `secret://<name>:<key>`. Cached for `secrets.cache_ttl`; concurrent misses share one
   * backend read; on backend failure the last good value is served. Throws SecretNotFoundError unless a
   * default is given.
   */
  async get(name: string, key?: string, options?: SecretGetOptions): Promise<string> {
    const entry = this.cache.get(cacheKey(name, key));
    if (entry !== undefined && (entry.staleSince === null ? Date.now() < entry.expiresAt : true)) {
      // A stale entry (backend failing) is served at once while one background read tries again.
      if (entry.staleSince !== null) void this.load(name, key).catch(() => undefined);
      return entry.value;
    }
    const value = await this.load(name, key);
    if (value !== undefined) return value;
    if (options?.default !== undefined) return options.default;
    throw new SecretNotFoundError(name, key, this.options.backend);
  }

  /** Subscribes to rotations (a value changed on refresh). Returns an unsubscribe function. */
  onRotate(listener: RotationListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Re-reads every cached secret now (what the background refresh does on its interval). */
  async refreshAll(): Promise<void> {
    const entries = [...this.cache.values()];
    await Promise.all(entries.map((e) => this.load(e.name, e.key).catch(() => undefined)));
  }

  /** Re-reads every cached key of one secret (a watcher saw it change). */
  async refreshName(name: string): Promise<void> {
    const entries = [...this.cache.values()].filter((e) => e.name === name);
    await Promise.all(entries.map((e) => this.load(e.name, e.key).catch(() => undefined)));
  }

  stats(): SecretsStats {
    const now = Date.now();
    let stale = 0;
    let oldest: number | null = null;
    const staleSecrets: SecretsStats['staleSecrets'] = [];
    for (const e of this.cache.values()) {
      if (e.staleSince === null) continue;
      stale++;
      staleSecrets.push({ ref: formatRef(e.name, e.key), reason: e.lastError });
      oldest = oldest === null ? e.fetchedAt : Math.min(oldest, e.fetchedAt);
    }
    return {
      backend: this.options.backend,
      backendCalls: this.backendCalls,
      cached: this.cache.size,
      stale,
      oldestStaleAgeSeconds: oldest === null ? null : Math.round((now - oldest) / 100) / 10,
      staleSecrets,
      lastRefreshAt: this.lastRefreshAt === null ? null : new Date(this.lastRefreshAt).toISOString(),
      refreshes: { ...this.refreshes },
    };
  }

  backendHealth(): SecretsBackendHealth | null {
    try {
      return this.backend?.health?.() ?? null;
    } catch (err) {
      return { status: 'degraded', reason: `backend health failed: ${(err as Error).message}` };
    }
  }

  get isStarted(): boolean {
    return this.backend !== null;
  }

  async onApplicationShutdown(): Promise<void> {
    this.closed = true;
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    this.refreshTimer = null;
    await this.backend?.close?.();
  }

  /** One coalesced backend read (with retries) that updates the cache; undefined = not found. */
  private load(name: string, key: string | undefined): Promise<string | undefined> {
    const k = cacheKey(name, key);
    let pending = this.inflight.get(k);
    if (!pending) {
      pending = this.fetch(name, key).finally(() => this.inflight.delete(k));
      this.inflight.set(k, pending);
    }
    return pending;
  }

  private async fetch(name: string, key: string | undefined): Promise<string | undefined> {
    const backend = this.backend;
    if (!backend) {
      throw new SecretsError(
        'SECRETS_BACKEND_UNAVAILABLE',
        `Secrets are not available before the secrets module started (asked for ${formatRef(name, key)})`,
      );
    }
    const k = cacheKey(name, key);
    let value: string | undefined;
    try {
      value = await withRetry(
        () => {
          this.backendCalls++;
          return backend.read(name, key);
        },
        this.policy,
        {
          onRetry: (err, attempt, delay) =>
            this.logger.warn(
              `Reading ${formatRef(name, key)} failed (${describe(err)}); retry ${attempt}/${this.policy.maxRetries} in ${delay} ms`,
            ),
        },
      );
    } catch (err) {
      this.recordRefresh('failed');
      const entry = this.cache.get(k);
      if (entry && !(err instanceof SecretsError && err.code === 'SECRET_NAME_INVALID'))
        return this.serveStale(entry, name, key, describe(err));
      throw err;
    }
    this.recordRefresh('ok');
    const previous = this.cache.get(k);
    if (value === undefined) {
      if (!previous) return undefined;
      // Gone at the source after it was read: a deleted file or secret is as likely a botched
      // rotation as a revocation, and forgetting it would also stop it being re-read when it comes
      // back. Keep serving the last good value, stale (reported on /healthz), until it reappears.
      return this.serveStale(
        previous,
        name,
        key,
        `not found in the ${this.options.backend} backend (deleted?)`,
      );
    }
    const now = Date.now();
    const hash = digest(value);
    // Once per distinct value of an entry; rotated-out values stay registered (they may still be valid).
    if (previous?.hash !== hash) this.redaction?.register(value);
    this.cache.set(k, {
      name,
      key,
      value,
      hash,
      fetchedAt: now,
      expiresAt: this.ttlMs > 0 ? now + this.ttlMs : now,
      staleSince: null,
      lastError: null,
    });
    if (previous?.staleSince != null) {
      this.logger.log(`${formatRef(name, key)} read again after backend errors`);
      this.metrics?.stale(this.options.backend, this.stats().stale);
    }
    if (previous && previous.hash !== hash) this.fireRotation(name, key);
    return value;
  }

  /** Marks an entry stale (logged once per episode, or when the reason changes) and returns its value. */
  private serveStale(entry: Entry, name: string, key: string | undefined, reason: string): string {
    if (entry.staleSince === null || entry.lastError !== reason)
      this.logger.warn(`Serving the last good value of ${formatRef(name, key)}: ${reason}`);
    entry.staleSince ??= Date.now();
    entry.lastError = reason;
    this.metrics?.stale(this.options.backend, this.stats().stale);
    return entry.value;
  }

  private recordRefresh(result: 'ok' | 'failed'): void {
    this.refreshes[result]++;
    this.metrics?.refresh(this.options.backend, result);
    if (result === 'ok') {
      this.lastRefreshAt = Date.now();
      this.metrics?.lastRefresh(this.options.backend, this.lastRefreshAt / 1000);
    }
  }

  private fireRotation(name: string, key: string | undefined): void {
    this.logger.log(`Secret ${formatRef(name, key)} rotated`);
    for (const listener of [...this.listeners]) {
      // Each subscriber is isolated: one failing (sync or async) never stops the others.
      try {
        void Promise.resolve(listener(name, key)).catch((err: unknown) =>
          this.logger.error(`A rotation subscriber failed for ${formatRef(name, key)}: ${describe(err)}`),
        );
      } catch (err) {
        this.logger.error(`A rotation subscriber failed for ${formatRef(name, key)}: ${describe(err)}`);
      }
    }
  }

  private scheduleRefresh(): void {
    if (this.closed) return;
    this.refreshTimer = setTimeout(() => {
      void this.refreshAll().finally(() => this.scheduleRefresh());
    }, this.options.refresh_interval * 1000);
    this.refreshTimer.unref();
  }
}

/** An error's code and message, for logs; backends build messages without secret values. */
export function describe(err: unknown): string {
  if (err instanceof SecretsError) return `${err.code}: ${err.message}`;
  const e = err as { code?: unknown; message?: unknown };
  const status = (err as { response?: { statusCode?: unknown } })?.response?.statusCode;
  const parts = [status ?? e?.code, e?.message].filter((p) => p !== undefined && p !== '');
  return parts.length ? parts.join(': ') : String(err);
}
