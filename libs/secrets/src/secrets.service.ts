import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationShutdown,
  type OnModuleInit,
  Optional,
} from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { SecretsCache } from './cache/secrets.cache';
import { SecretsRefreshScheduler } from './refresh/secrets-refresh.scheduler';
import { SecretsBackendRegistry } from './registry/secrets-backend.registry';
import { retryPolicyFrom, withRetry, type RetryPolicy } from './resilience/secrets.retry';
import { SecretsRotationNotifier } from './rotation/secrets-rotation.notifier';
import { SECRETS_ENV, SECRETS_METRICS, SECRETS_REDACTION } from './secrets.constants';
import { describeError, formatRef, SecretNotFoundError, SecretsError } from './secrets.error';
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
import { SecretsStatsRecorder, type SecretsStats } from './stats/secrets-stats.recorder';

/**
 * The secrets facade: picks the backend (SecretsBackendRegistry), reads through the cache
 * (SecretsCache: TTL, one read per key at a time, last good value on failure) with retries (cockatiel),
 * refreshes in the background (SecretsRefreshScheduler), tells subscribers about rotations
 * (SecretsRotationNotifier) and counts for /healthz and /metrics (SecretsStatsRecorder). Values are
 * never logged: messages name the secret (`secret://name:key`) only.
 */
@Injectable()
export class SecretsService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('Secrets');
  private readonly registry: SecretsBackendRegistry;
  private readonly rotation = new SecretsRotationNotifier(this.logger);
  private readonly counters: SecretsStatsRecorder;
  private readonly cache: SecretsCache;
  private readonly refresher: SecretsRefreshScheduler;
  private readonly policy: RetryPolicy;
  private backend: SecretsBackend | null = null;
  private started: Promise<void> | null = null;

  constructor(
    @Inject(SECRETS_MODULE_OPTIONS) readonly options: SecretsModuleOptions,
    @Inject(SECRETS_ENV) private readonly env: EnvRecord,
    @Optional() discovery?: DiscoveryService,
    @Optional() @Inject(SECRETS_REDACTION) redaction?: SecretsRedactionSink,
    @Optional() @Inject(SECRETS_METRICS) private readonly metrics?: SecretsMetricsSink,
  ) {
    this.policy = retryPolicyFrom(options.retry);
    this.registry = new SecretsBackendRegistry(discovery);
    this.counters = new SecretsStatsRecorder(options.backend, metrics);
    this.cache = new SecretsCache({
      backend: options.backend,
      ttlMs: options.cache_ttl * 1000,
      read: (name, key) => this.read(name, key),
      logger: this.logger,
      redaction,
      onRead: (result) => this.counters.refresh(result),
      onStale: (count) => this.counters.stale(count),
      onRotate: (name, key) => this.rotation.notify(name, key),
    });
    this.refresher = new SecretsRefreshScheduler(options.refresh_interval * 1000, () => this.refreshAll());
  }

  get backendName(): string {
    return this.options.backend;
  }

  async onModuleInit(): Promise<void> {
    await this.start();
  }

  /** Adds a backend by hand (code outside Nest, tests); discovered providers are added at start. */
  registerBackend(name: string, backend: SecretsBackend): void {
    this.registry.register(name, backend);
  }

  /** Selects and initialises the backend once; later callers await the same start. */
  start(): Promise<void> {
    this.started ??= this.doStart();
    return this.started;
  }

  private async doStart(): Promise<void> {
    const backend = this.registry.select(this.options.backend);
    await backend.init?.({
      options: this.options,
      env: this.env,
      logger: this.logger,
      notifyChanged: (name) => void this.refreshName(name),
      reportCircuit: (state) => this.metrics?.circuitState(this.options.backend, state),
    });
    this.backend = backend;
    if (this.options.auto_refresh) this.refresher.start();
    this.logger.log(`Secrets backend: ${this.options.backend}`);
  }

  /**
   * The value of `secret://<name>:<key>`. Cached for `secrets.cache_ttl`; concurrent misses share one
   * backend read; on backend failure the last good value is served. Throws SecretNotFoundError unless a
   * default is given.
   */
  async get(name: string, key?: string, options?: SecretGetOptions): Promise<string> {
    const value = await this.cache.get(name, key);
    if (value !== undefined) return value;
    if (options?.default !== undefined) return options.default;
    throw new SecretNotFoundError(name, key, this.options.backend);
  }

  /** Subscribes to rotations (a value changed on refresh). Returns an unsubscribe function. */
  onRotate(listener: RotationListener): () => void {
    return this.rotation.subscribe(listener);
  }

  /** Re-reads every cached secret now (what the background refresh does on its interval). */
  refreshAll(): Promise<void> {
    return this.cache.refresh();
  }

  /** Re-reads every cached key of one secret (a watcher saw it change). */
  refreshName(name: string): Promise<void> {
    return this.cache.refresh(name);
  }

  stats(): SecretsStats {
    return this.counters.snapshot(this.cache.entries());
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
    this.refresher.stop();
    await this.backend?.close?.();
  }

  /** One backend read, transient failures retried with backoff; undefined = not found. */
  private async read(name: string, key: string | undefined): Promise<string | undefined> {
    const backend = this.backend;
    if (!backend) {
      throw new SecretsError(
        'SECRETS_BACKEND_UNAVAILABLE',
        `Secrets are not available before the secrets module started (asked for ${formatRef(name, key)})`,
      );
    }
    return withRetry(
      () => {
        this.counters.backendCall();
        return backend.read(name, key);
      },
      this.policy,
      {
        onRetry: (err, attempt, delay) =>
          this.logger.warn(
            `Reading ${formatRef(name, key)} failed (${describeError(err)}); retry ${attempt}/${this.policy.maxRetries} in ${delay} ms`,
          ),
      },
    );
  }
}
