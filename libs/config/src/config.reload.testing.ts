import {
  existsSync,
  mkdtempSync,
  readlinkSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import { ConfigWatcherFactory } from './config-watcher.factory';
import type { ConfigWatcher, ConfigWatcherHandlers, ConfigWatchTarget } from './config-watcher.interface';
import { ConfigFileSystem } from './config.file-system';
import type { ConfigChangeEvent, ConfigModuleOptions } from './config.interface';
import { loadConfig } from './config.loader';
import { registry } from './config.section';
import { ConfigReloadService } from './config.reload.service';
import { ConfigStore } from './config.store';

// Shared by the ConfigReloadService specs: real files, real directories, real symlinks and
// (unless a test replaces it) real chokidar.

export const yaml = (financial: number, extra = '') =>
  `config:\n  hot_reload: true\n  debounce_ms: 30\n  poll_interval: 0.1\ngovernance:\n  financial_threshold: ${financial}\n${extra}`;

export async function until(what: string, predicate: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Lets stray watcher events (if any) arrive and be processed, so "exactly once" is meaningful. */
export async function settle(svc: ConfigReloadService): Promise<void> {
  await new Promise((r) => setTimeout(r, 250));
  await svc.reload();
}

/**
 * The kubelet's AtomicWriter (pkg/volume/util/atomic_writer.go): payload into a new timestamped
 * directory, a `..data_tmp` symlink to it renamed over `..data`, user-visible symlinks
 * `<key> -> ..data/<key>` created once, then the previous timestamped directory removed.
 */
export function kubeletWrite(dir: string, files: Record<string, string>): void {
  const stamp = new Date().toISOString().replace(/[-:T]/g, '_').replace(/\..*/, '');
  const tsDir = mkdtempSync(join(dir, `..${stamp}.`));
  for (const [name, content] of Object.entries(files))
    writeFileSync(join(tsDir, name), content, { mode: 0o644 });
  const dataLink = join(dir, '..data');
  const old = existsSync(dataLink) ? readlinkSync(dataLink) : null;
  const tmpLink = join(dir, '..data_tmp');
  symlinkSync(tsDir.slice(dir.length + 1), tmpLink);
  renameSync(tmpLink, dataLink);
  for (const name of Object.keys(files))
    if (!existsSync(join(dir, name))) symlinkSync(join('..data', name), join(dir, name));
  if (old) rmSync(join(dir, old), { recursive: true, force: true });
}

export class DenyingFileSystem extends ConfigFileSystem {
  deny = false;
  override readFile(path: string): Buffer {
    if (this.deny) {
      // What open(2) answers a non-root reader of a mode-000 file (root bypasses the check).
      throw Object.assign(new Error(`EACCES: permission denied, open '${path}'`), {
        code: 'EACCES',
        errno: -13,
        syscall: 'open',
        path,
      });
    }
    return super.readFile(path);
  }
}

export class CountingWatcherFactory extends ConfigWatcherFactory {
  nativeCalls = 0;
  pollCalls = 0;
  constructor(private readonly nativeFailure: Error | null = null) {
    super();
  }
  override native(target: ConfigWatchTarget, handlers: ConfigWatcherHandlers): Promise<ConfigWatcher> {
    this.nativeCalls++;
    if (this.nativeFailure) return Promise.reject(this.nativeFailure);
    return super.native(target, handlers);
  }
  override poll(intervalMs: number, tick: () => void): ConfigWatcher {
    this.pollCalls++;
    return super.poll(intervalMs, tick);
  }
}

export interface Harness {
  dir: string;
  file: string;
  store: ConfigStore;
  svc: ConfigReloadService;
  events: ConfigChangeEvent[];
  fs: ConfigFileSystem;
  watchers: CountingWatcherFactory;
}

/**
 * For the describe block: sets the governance section's reload holds aside, silences and spies on
 * the logger, and stops services and removes temp directories after each test.
 */
export function useReloadHarness() {
  // These cases use governance.financial_threshold as any live key, raised and lowered freely; the
  // governance section's own reload holds (libs/agents, governance.reload-holds.spec.ts) are set
  // aside here and restored after, so this spec tests the reload mechanics alone.
  const governanceAt = registry().sections.findIndex((s) => s.key === 'governance');
  const governanceSection = registry().sections[governanceAt];
  beforeAll(() => {
    if (governanceSection)
      registry().sections[governanceAt] = { ...governanceSection, holdOnReload: undefined };
  });
  afterAll(() => {
    if (governanceSection) registry().sections[governanceAt] = governanceSection;
  });

  const cleanups: (() => Promise<void> | void)[] = [];
  const logs = {} as { error: jest.SpyInstance; warn: jest.SpyInstance };

  beforeEach(() => {
    logs.error = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    logs.warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'debug').mockImplementation(() => undefined);
  });

  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
    jest.restoreAllMocks();
  });

  function tempDir(): string {
    const dir = mkdtempSync(join(tmpdir(), 'mira-reload-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    return dir;
  }

  async function start(
    file: string,
    opts: {
      env?: Record<string, string>;
      overrides?: Record<string, unknown>;
      fs?: ConfigFileSystem;
      watchers?: CountingWatcherFactory;
    } = {},
  ): Promise<Harness> {
    const options: ConfigModuleOptions = { file, env: opts.env ?? {}, overrides: opts.overrides };
    const store = new ConfigStore(loadConfig(options));
    const fs = opts.fs ?? new ConfigFileSystem();
    const watchers = opts.watchers ?? new CountingWatcherFactory();
    const svc = new ConfigReloadService(store, options, fs, watchers);
    const events: ConfigChangeEvent[] = [];
    store.onChange((e) => events.push(e));
    cleanups.push(() => svc.stop());
    await svc.start();
    return { dir: file, file, store, svc, events, fs, watchers };
  }

  const threshold = (h: Harness) => h.store.get('governance').financial_threshold;

  return { logs, tempDir, start, threshold };
}
