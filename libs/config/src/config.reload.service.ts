import { createHash } from 'node:crypto';
import { basename, dirname, join, sep } from 'node:path';
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import type { ConfigWatcher, ConfigWatchTarget } from './config-watcher.interface';
import { ConfigWatcherFactory } from './config-watcher.factory';
import { ConfigError } from './config.error';
import { ConfigFileSystem } from './config.file-system';
import type { ConfigChange } from './config.interface';
import { loadConfig, unreadableFileError } from './config.loader';
import { deepFreeze } from './config.merge';
import { CONFIG_MODULE_OPTIONS, type ConfigModuleDefinitionOptions } from './config.module-definition';
import { planReload } from './config.reload-policy';
import type { MiraConfig } from './config.schema';
import { ConfigStore } from './config.store';

export type ReloadResult =
  | { outcome: 'applied'; changes: ConfigChange[]; pendingRestart: string[] }
  | { outcome: 'unchanged' }
  | { outcome: 'failed'; error: string }
  | { outcome: 'skipped'; reason: string };

export type ConfigWatchMode = 'off' | 'native' | 'poll';

type Observation =
  | { key: string; real: string; bytes: Buffer; hash: string; size: number; mtimeMs: number; ino: number }
  | { key: string; error: ConfigError };

/** Two reads agree: the same failure, or the same bytes, size, mtime and inode behind the same path. */
function sameObservation(a: Observation, b: Observation): boolean {
  if ('error' in a || 'error' in b) return a.key === b.key;
  return (
    a.hash === b.hash && a.size === b.size && a.mtimeMs === b.mtimeMs && a.ino === b.ino && a.real === b.real
  );
}

/** A ConfigMap volume's data directory link; the kubelet swaps it atomically on every update. */
const CONFIGMAP_DATA_LINK = '..data';

/**
 * Hot reload of the config file (config.hot_reload). Watches the file's DIRECTORY (atomic renames
 * and the kubelet's `..data` swap replace directory entries, not the file), debounces, reads the
 * file through its symlinks again and compares a sha256 of the bytes (the swap keeps the mtime).
 * A changed file is applied only once two reads `config.stable_ms` apart agree (a half-written file
 * is never applied). A reload is a transaction: parse, refuse an empty document or one that lost
 * top-level sections (a cut-short write), layer (same options as at start, so env overrides stay),
 * validate, resolve references, plan (restart-only keys and auth-weakening changes keep their
 * running values), then one atomic ConfigStore.replace. On any failure the last good snapshot
 * stays and the store is marked degraded with the reason.
 */
@Injectable()
export class ConfigReloadService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('ConfigReload');
  private watcher: ConfigWatcher | null = null;
  private backstop: ConfigWatcher | null = null;
  private debounce: NodeJS.Timeout | null = null;
  /** Hash of the last bytes read, or `error:<message>` after a failure: identical observations are no-ops. */
  private lastSeen: string | null = null;
  private realFile: string | null = null;
  private tail: Promise<unknown> = Promise.resolve();
  private queued: Promise<ReloadResult> | null = null;
  private started = false;
  private stopped = false;

  constructor(
    private readonly store: ConfigStore,
    @Inject(CONFIG_MODULE_OPTIONS) private readonly options: ConfigModuleDefinitionOptions,
    private readonly fs: ConfigFileSystem,
    private readonly watchers: ConfigWatcherFactory,
  ) {}

  /** How changes are being picked up right now. */
  get mode(): ConfigWatchMode {
    return this.watcher?.kind ?? 'off';
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.stop();
  }

  /** Starts watching when config.hot_reload is on and there is a file; safe to call twice. */
  async start(): Promise<void> {
    if (this.started || this.stopped) return;
    this.started = true;
    const settings = this.store.get('config');
    if (!settings.hot_reload) return;
    const file = this.store.file;
    if (!file) {
      this.logger.warn('config.hot_reload is on but no config file is loaded; nothing to watch');
      return;
    }
    this.lastSeen = this.store.hash;
    this.warnIfSubPathMount(file);
    this.realFile = this.safeRealpath(file);
    if (settings.watch_mode === 'poll') this.startPolling('configured (config.watch_mode: poll)');
    else {
      try {
        this.watcher = await this.watchers.native(this.target(file), {
          onEvent: () => this.schedule(),
          onError: (err) => this.onNativeError(err),
        });
        // Native events can be missed (a file replaced by a directory fires none): a slow poll backs them up.
        this.backstop = this.watchers.poll(settings.poll_interval * 1000, () => void this.reload());
        this.logger.log(
          `Watching ${file} for changes (native, checked every ${settings.poll_interval}s as a backstop)`,
        );
      } catch (err) {
        this.onNativeError(err as Error);
      }
    }
    // The file may have changed between the start-up read and the watcher being ready.
    await this.reload();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.debounce) clearTimeout(this.debounce);
    this.debounce = null;
    const w = this.watcher;
    this.watcher = null;
    await w?.close();
    await this.backstop?.close();
    this.backstop = null;
    await this.tail;
  }

  /**
   * Checks the file now and applies it if its content changed. Calls are serialized; calls made
   * while a check is waiting to run share it.
   */
  reload(): Promise<ReloadResult> {
    if (this.queued) return this.queued;
    const next = this.tail.then(() => {
      this.queued = null;
      return this.check();
    });
    this.queued = next;
    this.tail = next.catch(() => undefined);
    return next;
  }

  private schedule(): void {
    if (this.stopped) return;
    if (this.debounce) clearTimeout(this.debounce);
    // Read per event so config.debounce_ms itself reloads live.
    this.debounce = setTimeout(() => {
      this.debounce = null;
      void this.reload();
    }, this.store.get('config').debounce_ms);
  }

  private async check(): Promise<ReloadResult> {
    const file = this.store.file;
    if (!file || this.stopped) return { outcome: 'skipped', reason: 'no config file or stopped' };
    const seen = this.observe(file);
    if (seen.key === this.lastSeen) return { outcome: 'unchanged' };
    // Read per check so config.stable_ms itself reloads live.
    const stableMs = this.store.get('config').stable_ms;
    if (stableMs > 0) {
      await new Promise((r) => setTimeout(r, stableMs));
      if (this.stopped) return { outcome: 'skipped', reason: 'stopped' };
      const again = this.observe(file);
      if (!sameObservation(seen, again)) {
        // Still being written (or swapped again): look once more after the next quiet period.
        this.logger.debug(`Config file ${file} is still changing; waiting for it to be stable`);
        this.schedule();
        return { outcome: 'skipped', reason: 'the file is still changing' };
      }
    }
    this.lastSeen = seen.key;
    if ('error' in seen) return this.fail(seen.error);
    const { bytes, hash, real } = seen;
    this.retarget(file, real);
    try {
      const { preloaded: _preloaded, ...options } = this.options;
      const loaded = loadConfig({ ...options, file }, () => bytes);
      // After validation, so an invalid file is reported by the key that fails.
      this.refuseSuspiciousDocument(file, loaded.sections ?? []);
      let resolved: MiraConfig;
      try {
        resolved = deepFreeze(await this.store.resolve(loaded.config));
      } catch (err) {
        // A resolver (secret backend) may fail transiently: the same bytes are retried on the next event or poll.
        this.lastSeen = null;
        throw err;
      }
      // Planned against the snapshot current at swap time (synchronously up to replace()).
      const plan = planReload(this.store.current, resolved);
      const before = this.store.status().pending_restart;
      const heldReason =
        plan.held.length > 0
          ? `Configuration change would weaken authentication or governance review and is held until a restart (the running values stay in force): ${plan.held.map((h) => `${h.path} (${h.change})`).join(', ')}. Restore them in ${file}, or restart the service to apply them`
          : null;
      const changes = this.store.replace(
        { config: plan.config, file, hash, sections: loaded.sections },
        { pendingRestart: plan.pendingRestart, degradedReason: heldReason },
      );
      if (changes.length > 0)
        this.logger.log(
          `Configuration reloaded from ${file}; applied live: ${changes.map((c) => c.path).join(', ')}`,
        );
      else this.logger.debug(`Configuration file ${file} changed; no live setting differs`);
      if (heldReason) this.logger.error(heldReason);
      const newlyPending = plan.pendingRestart.filter((p) => !before.includes(p));
      if (newlyPending.length > 0)
        this.logger.warn(
          `Configuration change requires a restart and was not applied: ${newlyPending.join(', ')} (the running values stay in force until the service restarts)`,
        );
      return { outcome: 'applied', changes, pendingRestart: plan.pendingRestart };
    } catch (err) {
      return this.fail(err);
    }
  }

  /** The file's bytes and identity, or why it cannot be read; `key` identifies what was seen. */
  private observe(file: string): Observation {
    try {
      // Resolve the symlink chain again: after a kubelet swap it leads to a new directory.
      const real = this.fs.realpath(file);
      const stat = this.fs.stat(file);
      const bytes = this.fs.readFile(file);
      const hash = createHash('sha256').update(bytes).digest('hex');
      return { key: hash, real, bytes, hash, ...stat };
    } catch (err) {
      const error = unreadableFileError(file, err);
      return { key: `error:${error.message}`, error };
    }
  }

  /**
   * Documents a reload never applies, whatever they would validate to: an empty one (what an
   * interrupted write or `> file` leaves), and one that lost top-level sections the running file
   * had (what a write cut short leaves: the sections after the cut are gone, yet it still parses).
   */
  private refuseSuspiciousDocument(file: string, sections: readonly string[]): void {
    if (sections.length === 0)
      throw new ConfigError(
        'CONFIG_RELOAD_HELD',
        `Config file ${file} is empty (no settings, or comments only): not applied, as a reload never applies an empty file. The last good configuration stays in force; write the complete file again`,
      );
    const lost = (this.store.sections ?? []).filter((s) => !sections.includes(s));
    if (lost.length > 0)
      throw new ConfigError(
        'CONFIG_RELOAD_HELD',
        `Config file ${file} lost top-level section(s) ${lost.join(', ')} that the running configuration was loaded with (as a truncated write does): not applied. Restore the section(s), or restart the service to start from the file as it is`,
      );
  }

  private fail(err: unknown): ReloadResult {
    const message =
      err instanceof ConfigError ? err.message : `Configuration reload failed: ${(err as Error).message}`;
    const s = this.store.status();
    // A retried transient failure with the same reason is not a new failure (one log line, one count).
    if (s.status === 'degraded' && s.reason === message) return { outcome: 'failed', error: message };
    this.store.markFailed(message);
    this.logger.error(`Configuration reload failed; keeping the last good configuration. ${message}`);
    return { outcome: 'failed', error: message };
  }

  private onNativeError(err: Error): void {
    if (this.stopped) return;
    const mode = this.store.get('config').watch_mode;
    const w = this.watcher;
    this.watcher = null;
    void w?.close();
    void this.backstop?.close();
    this.backstop = null;
    if (mode === 'auto') {
      this.startPolling(`native watching failed (${err.message})`);
      return;
    }
    const reason = `Native watching of the config file failed (${err.message}); changes are not picked up until restart. Set config.watch_mode: poll or auto`;
    this.store.markFailed(reason);
    this.logger.error(reason);
  }

  private startPolling(why: string): void {
    const seconds = this.store.get('config').poll_interval;
    this.watcher = this.watchers.poll(seconds * 1000, () => void this.reload());
    this.logger.log(`Watching ${this.store.file} by polling every ${seconds}s: ${why}`);
  }

  /** A file that sits beside `..data` but is not a symlink was mounted with subPath: Kubernetes never updates it. */
  private warnIfSubPathMount(file: string): void {
    if (!this.fs.isSymlink(file) && this.fs.exists(join(dirname(file), CONFIGMAP_DATA_LINK)))
      this.logger.warn(
        `Config file ${file} sits in a ConfigMap-like directory (it has a ${CONFIGMAP_DATA_LINK} entry) but is not a symlink: it looks like a subPath mount, which Kubernetes never updates. Mount the whole ConfigMap as a directory and point MIRA_CONFIG_FILE into it`,
      );
  }

  /** The file's directory, plus the real file's directory when a symlink leads outside it. */
  private target(file: string): ConfigWatchTarget {
    const dir = dirname(file);
    const dirs = [dir];
    const names = [basename(file), CONFIGMAP_DATA_LINK];
    const realDir = this.realFile ? dirname(this.realFile) : null;
    if (this.realFile && realDir && realDir !== dir && !realDir.startsWith(dir + sep)) {
      dirs.push(realDir);
      names.push(basename(this.realFile));
    }
    return { dirs, names };
  }

  private retarget(file: string, real: string): void {
    if (real === this.realFile) return;
    this.realFile = real;
    try {
      this.watcher?.retarget?.(this.target(file));
    } catch (err) {
      this.logger.warn(`Could not re-target the config watcher: ${(err as Error).message}`);
    }
  }

  private safeRealpath(file: string): string | null {
    try {
      return this.fs.realpath(file);
    } catch {
      return null;
    }
  }
}
