import { Injectable, Logger } from '@nestjs/common';
import type {
  ConfigChange,
  ConfigChangeEvent,
  ConfigChangeListener,
  ConfigStatus,
  ConfigValueResolver,
} from './config.interface';
import type { LoadedConfig } from './config.loader';
import { diffPaths, getPath } from './config.merge';
import type { MiraConfig } from './config.schema';
import type { ConfigSection, ConfigSectionValue } from './config.section';

/**
 * Holds the current validated config as an immutable snapshot. Readers always see a whole
 * snapshot: a reload builds the next one aside and swaps the reference in one assignment.
 */
@Injectable()
export class ConfigStore {
  private snapshot: MiraConfig;
  private readonly listeners = new Set<{ prefix: string | null; fn: ConfigChangeListener }>();
  private readonly resolvers: ConfigValueResolver[] = [];
  private state: ConfigStatus;
  private loaded: LoadedConfig;
  private readonly logger = new Logger('Config');
  /** Deprecation lines already logged: each is said once per process, not at every reload. */
  private readonly warned = new Set<string>();

  constructor(initial: LoadedConfig) {
    this.loaded = initial;
    this.warnDeprecations(initial);
    this.snapshot = initial.config;
    this.state = {
      status: 'healthy',
      reason: null,
      file: initial.file,
      loaded_at: new Date().toISOString(),
      reloads: { ok: 0, failed: 0 },
      pending_restart: [],
    };
  }

  /** The current snapshot (frozen). Keep a reference only as long as one consistent view is needed. */
  get current(): MiraConfig {
    return this.snapshot;
  }

  get<K extends keyof MiraConfig>(section: K): MiraConfig[K] {
    return this.snapshot[section];
  }

  /**
   * A section's current value, typed by its definition: `config.section(exampleConfig).greeting`.
   * Read it per use (or subscribe with onChange('<key>')) to see live reloads.
   */
  section<T extends ConfigSection>(section: T): ConfigSectionValue<T> {
    return (this.snapshot as unknown as Record<string, unknown>)[section.key] as ConfigSectionValue<T>;
  }

  /** Reads a dotted path, e.g. `governance.financial_threshold`. */
  getPath<T = unknown>(path: string): T {
    return getPath(this.snapshot, path) as T;
  }

  get file(): string | null {
    return this.loaded.file;
  }

  get hash(): string | null {
    return this.loaded.hash;
  }

  /** Deprecated keys in use (logged once each): the reference's names mapped onto Mira's. */
  get deprecations(): readonly string[] {
    return this.loaded.deprecations ?? [];
  }

  /**
   * One integration's free-form settings (`integrations.<name>`), secret:// references already
   * resolved; an empty object when it is not configured. Re-read it (or subscribe with
   * onChange('integrations.<name>')) to see rotated credentials.
   */
  integration(name: string): Readonly<Record<string, unknown>> {
    const all = this.snapshot.integrations;
    return Object.hasOwn(all, name) ? all[name] : {};
  }

  private warnDeprecations(loaded: LoadedConfig): void {
    for (const line of loaded.deprecations ?? []) {
      if (this.warned.has(line)) continue;
      this.warned.add(line);
      this.logger.warn(line);
    }
  }

  /** Top-level sections the loaded file set (undefined when unknown, e.g. no file). */
  get sections(): readonly string[] | undefined {
    return this.loaded.sections;
  }

  status(): ConfigStatus {
    return {
      ...this.state,
      reloads: { ...this.state.reloads },
      pending_restart: [...this.state.pending_restart],
    };
  }

  /**
   * Subscribes to changes; with `prefix` (e.g. `governance` or `logging.level`) only events touching
   * that subtree are delivered, filtered to the matching changes. Returns an unsubscribe function.
   */
  onChange(fn: ConfigChangeListener, prefix: string | null = null): () => void {
    const entry = { prefix, fn };
    this.listeners.add(entry);
    return () => this.listeners.delete(entry);
  }

  addResolver(resolver: ConfigValueResolver): void {
    this.resolvers.push(resolver);
  }

  /** Runs the registered resolvers (secret references, ...) over a validated config. */
  async resolve(config: MiraConfig): Promise<MiraConfig> {
    let out = config;
    for (const r of this.resolvers) out = await r.resolve(out);
    return out;
  }

  /**
   * Swaps in a new snapshot and notifies listeners; returns the changed keys. `pendingRestart`
   * lists keys whose file value differs from the running one but needs a restart (paths only).
   */
  replace(
    next: LoadedConfig,
    meta: {
      pendingRestart?: readonly string[];
      /**
       * `reload` (default): a new file/env load; it counts as a reload and clears a failed state.
       * `resolved`: the same config with references re-resolved (start-up, secret rotation); it
       * neither counts as a reload nor hides a failed file reload.
       */
      source?: 'reload' | 'resolved';
      /** The reload applied, but held part of the file back for a reason health must show (degraded). */
      degradedReason?: string | null;
    } = {},
  ): ConfigChange[] {
    const previous = this.snapshot;
    const changes = diffPaths(previous, next.config);
    // Re-resolved snapshots carry no file facts of their own: keep what the file load recorded.
    this.loaded = next.sections === undefined ? { ...next, sections: this.loaded.sections } : next;
    // A re-resolved snapshot (secret rotation) carries no load details: keep the load's list.
    if (meta.source === 'resolved' && next.deprecations === undefined)
      this.loaded = {
        ...this.loaded,
        deprecations: this.deprecations.length ? [...this.deprecations] : undefined,
      };
    this.warnDeprecations(next);
    this.snapshot = next.config;
    if (meta.source !== 'resolved') {
      this.state = {
        ...this.state,
        status: meta.degradedReason ? 'degraded' : 'healthy',
        reason: meta.degradedReason ?? null,
        file: next.file,
        loaded_at: new Date().toISOString(),
        reloads: { ...this.state.reloads, ok: this.state.reloads.ok + 1 },
        pending_restart: [...(meta.pendingRestart ?? this.state.pending_restart)],
      };
    }
    if (changes.length > 0) this.emit({ changes, previous, current: next.config });
    return changes;
  }

  /** Records a failed reload: the last good snapshot stays, health turns degraded with the reason. */
  markFailed(reason: string): void {
    this.state = {
      ...this.state,
      status: 'degraded',
      reason,
      reloads: { ...this.state.reloads, failed: this.state.reloads.failed + 1 },
    };
  }

  private emit(event: ConfigChangeEvent): void {
    for (const { prefix, fn } of this.listeners) {
      const changes =
        prefix === null
          ? event.changes
          : event.changes.filter((c) => c.path === prefix || c.path.startsWith(`${prefix}.`));
      if (changes.length === 0) continue;
      try {
        fn({ ...event, changes });
      } catch {
        // A listener's failure must not stop the others or undo the swap; listeners log their own errors.
      }
    }
  }
}
