import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit, Optional } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import {
  type Client,
  type EvaluationContext,
  type EvaluationDetails,
  FirstSuccessfulStrategy,
  type JsonValue,
  MultiProvider,
  NOOP_PROVIDER,
  OpenFeature,
  type Provider,
} from '@openfeature/server-sdk';
import { ConfigStore } from '@mira/config';
import { MetricsService } from '@mira/metrics';
import { ConfigFlagProvider } from './config-flag.provider';
import { FlagProvider } from './flag-provider.decorator';
import { FlagContextBuilder } from './flags-context';
import { featuresConfig, type FlagDefinition } from './flags.config';
import { buildFlagSet, summarise } from './flags.definitions';
import { FlagsFileReader } from './flags-file.reader';
import { FlagsObserver } from './flags.observer';

export type FlagType = 'boolean' | 'string' | 'number' | 'object';
export type FlagChangeListener = (changed: readonly string[]) => void;

/** A variant chosen for a piece of durable work; `pinned` when it came from the record. */
export interface VariantChoice<T = JsonValue> {
  variant?: string;
  value: T;
  pinned: boolean;
}

let domains = 0;

/**
 * Mira's flags through OpenFeature. The config provider (flagd definitions from `features`) is
 * always there; plugin providers marked @FlagProvider() are put in front of it in a MultiProvider
 * (first successful answer wins, so config serves when a remote provider is down).
 * isEnabled/variant are synchronous and in process (config provider); evaluate() goes through the
 * OpenFeature client and therefore through plugin providers.
 */
@Injectable()
export class FlagsService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('Flags');
  readonly config = new ConfigFlagProvider();
  private readonly observer: FlagsObserver;
  private readonly domain = `mira-${++domains}`;
  private readonly listeners = new Set<FlagChangeListener>();
  private fileFlags: Record<string, FlagDefinition> = {};
  /** Why features.flags_file is not served as written (null when it is, or when none is set). */
  private fileProblem: string | null = null;
  private watched: { path: string; intervalMs: number; stop: () => void } | null = null;
  private unsubscribe: () => void = () => undefined;
  private warnedLegacy = new Set<string>();
  private clientRef: Client | undefined;

  constructor(
    private readonly store: ConfigStore,
    private readonly context: FlagContextBuilder,
    private readonly files: FlagsFileReader,
    private readonly discovery: DiscoveryService,
    @Optional() metrics?: MetricsService,
  ) {
    this.observer = new FlagsObserver(metrics ?? null);
    // Loaded at construction so guards and agents can ask before module init completes.
    this.reload('start');
    this.unsubscribe = this.store.onChange(() => this.reload('config reload'), 'features');
  }

  async onModuleInit(): Promise<void> {
    const plugins = this.discovery
      .getProviders({ metadataKey: FlagProvider.KEY })
      .map((w) => ({ w, order: this.discovery.getMetadataByDecorator(FlagProvider, w)?.order ?? 0 }))
      .filter(({ w }) => w.instance)
      .sort((a, b) => a.order - b.order)
      .map(({ w }) => {
        const inst = w.instance as Provider | { provider: Provider };
        return 'provider' in inst ? inst.provider : inst;
      });
    const provider: Provider =
      plugins.length === 0
        ? this.config
        : new MultiProvider(
            [...plugins.map((p) => ({ provider: p })), { provider: this.config }],
            new FirstSuccessfulStrategy(),
          );
    if (plugins.length > 0)
      this.logger.log(`Flag providers: ${plugins.map((p) => p.metadata.name).join(', ')}, then mira-config`);
    await OpenFeature.setProviderAndWait(this.domain, provider);
    this.clientRef = OpenFeature.getClient(this.domain);
    this.clientRef.addHooks(this.observer.hook());
  }

  async onModuleDestroy(): Promise<void> {
    this.unsubscribe();
    this.watched?.stop();
    this.watched = null;
    this.listeners.clear();
    // Closes our providers (a plugin's connections) and frees this app's domain.
    await OpenFeature.setProviderAndWait(this.domain, NOOP_PROVIDER).catch((err: Error) =>
      this.logger.warn(`Closing the flag providers failed: ${err.message}`),
    );
  }

  /** The OpenFeature client of this app (its own domain), with the observability hook. */
  get client(): Client {
    this.clientRef ??= OpenFeature.getClient(this.domain);
    return this.clientRef;
  }

  /** The evaluation context for the running request or message, plus `extra`. */
  contextFor(extra?: EvaluationContext): EvaluationContext {
    return this.context.build(extra);
  }

  /** A boolean flag, synchronously, from the config provider; `fallback` when not defined. */
  isEnabled(key: string, fallback = false, extra?: EvaluationContext): boolean {
    return this.resolveSync('boolean', key, fallback, extra).value;
  }

  /** A flag's variant and value, synchronously, from the config provider. */
  variant<T extends JsonValue>(
    key: string,
    fallback: T,
    extra?: EvaluationContext,
  ): { variant?: string; value: T } {
    const type = (this.config.typeOf(key) ?? typeOfValue(fallback)) as FlagType;
    const r = this.resolveSync(type, key, fallback, extra);
    return { variant: r.variant, value: r.value };
  }

  /**
   * For durable work (a workflow step): the variant stored on the record when there is one and it
   * still exists, else a fresh evaluation. Store the returned `variant` on the record so a resumed
   * workflow keeps it when the flag moves.
   */
  variantFor<T extends JsonValue>(
    key: string,
    fallback: T,
    extra?: EvaluationContext,
    pinned?: string | null,
  ): VariantChoice<T> {
    const def = this.config.has(key) ? this.config.definitions()[key] : undefined;
    if (pinned && def && Object.hasOwn(def.variants, pinned))
      return { variant: pinned, value: def.variants[pinned] as T, pinned: true };
    const r = this.variant(key, fallback, extra);
    return { ...r, pinned: false };
  }

  /** Through the OpenFeature client (all providers, hooks), typed by the flag's variants. */
  async evaluate(
    key: string,
    extra?: EvaluationContext,
    type?: FlagType,
  ): Promise<EvaluationDetails<JsonValue>> {
    return this.evaluateIn(key, this.contextFor(extra), type);
  }

  /** evaluate() with exactly this context (OFREP: the remote caller's context, not ours). */
  async evaluateIn(
    key: string,
    ctx: EvaluationContext,
    type?: FlagType,
  ): Promise<EvaluationDetails<JsonValue>> {
    switch (type ?? this.config.typeOf(key) ?? 'object') {
      case 'boolean':
        return this.client.getBooleanDetails(key, false, ctx);
      case 'string':
        return this.client.getStringDetails(key, '', ctx);
      case 'number':
        return this.client.getNumberDetails(key, 0, ctx);
      default:
        return this.client.getObjectDetails(key, {}, ctx);
    }
  }

  /** Whether the config provider defines `key`. */
  isDefined(key: string): boolean {
    return this.config.has(key);
  }

  /** Keys of every configured flag (config provider). */
  keys(): string[] {
    return Object.keys(this.config.definitions());
  }

  /** features.flags_file, why it is not served as written (null when it is), and how many flags are served. */
  fileState(): { file: string | null; problem: string | null; count: number } {
    const file = this.store.section(featuresConfig).flags_file;
    return { file, problem: file ? this.fileProblem : null, count: this.keys().length };
  }

  /** Called with the changed keys after each definition change. Returns an unsubscribe function. */
  onChange(fn: FlagChangeListener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private resolveSync<T extends JsonValue>(
    type: FlagType,
    key: string,
    fallback: T,
    extra?: EvaluationContext,
  ) {
    const ctx = this.contextFor(extra);
    const r = this.config.resolve(type, key, fallback, ctx);
    this.observer.record({
      flagKey: key,
      providerName: this.config.metadata.name,
      targetingKey: ctx.targetingKey,
      variant: r.variant,
      reason: r.reason,
      errorCode: r.errorCode,
    });
    return r;
  }

  /**
   * With config.hot_reload on, features.flags_file is watched too (every config.poll_interval
   * seconds): it is a file of its own, so the config file's watcher never sees it change.
   */
  private watchFile(path: string | null): void {
    const settings = this.store.get('config');
    const intervalMs = Math.max(50, settings.poll_interval * 1000);
    const wanted = path && settings.hot_reload ? path : null;
    if (this.watched && this.watched.path === wanted && this.watched.intervalMs === intervalMs) return;
    this.watched?.stop();
    this.watched = wanted
      ? {
          path: wanted,
          intervalMs,
          stop: this.files.watch(wanted, intervalMs, () => this.reload(`a change of ${wanted}`)),
        }
      : null;
  }

  private reload(by: string): void {
    const section = this.store.section(featuresConfig);
    if (section.flags_file) {
      try {
        this.fileFlags = this.files.read(section.flags_file);
        if (this.fileProblem) this.logger.log(`features.flags_file ${section.flags_file} is served again`);
        this.fileProblem = null;
      } catch (err) {
        // At start there is nothing good to keep: refused like bad config, the start stops
        // naming the file and the problem.
        if (by === 'start') throw err;
        // Later a bad file is refused like bad config: the last good definitions keep serving,
        // and /healthz says so (feature_flags degraded) until the file is fixed.
        this.fileProblem = `${(err as Error).message}; the last good flag definitions keep serving`;
        this.logger.error(this.fileProblem);
      }
    } else {
      this.fileFlags = {};
      this.fileProblem = null;
    }
    this.watchFile(section.flags_file);
    const { flags, legacy } = buildFlagSet(section, this.fileFlags);
    for (const name of legacy.filter((n) => !this.warnedLegacy.has(n))) {
      this.warnedLegacy.add(name);
      this.logger.warn(
        `features.${name}: true|false is deprecated; it is served as the boolean flag "${name}". Declare it under features.flags.${name} (flagd format) instead`,
      );
    }
    const before = this.config.definitions();
    const changed = this.config.load(flags);
    this.observer.allow(flags);
    if (by === 'start') return;
    for (const key of changed)
      this.logger.log(`Flag ${key} changed by ${by}: ${summarise(before[key])} -> ${summarise(flags[key])}`);
    if (changed.length > 0)
      for (const l of this.listeners) {
        try {
          l(changed);
        } catch (err) {
          this.logger.warn(`A flag change listener failed: ${(err as Error).message}`);
        }
      }
  }
}

function typeOfValue(v: unknown): FlagType {
  const t = typeof v;
  return t === 'boolean' || t === 'string' || t === 'number' ? t : 'object';
}
