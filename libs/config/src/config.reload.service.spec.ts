import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readlinkSync,
  renameSync,
  rmSync,
  symlinkSync,
  unlinkSync,
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

// Real files, real directories, real symlinks and (unless a test replaces it) real chokidar.

const yaml = (financial: number, extra = '') =>
  `config:\n  hot_reload: true\n  debounce_ms: 30\n  poll_interval: 0.1\ngovernance:\n  financial_threshold: ${financial}\n${extra}`;

async function until(what: string, predicate: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Lets stray watcher events (if any) arrive and be processed, so "exactly once" is meaningful. */
async function settle(svc: ConfigReloadService): Promise<void> {
  await new Promise((r) => setTimeout(r, 250));
  await svc.reload();
}

/**
 * The kubelet's AtomicWriter (pkg/volume/util/atomic_writer.go): payload into a new timestamped
 * directory, a `..data_tmp` symlink to it renamed over `..data`, user-visible symlinks
 * `<key> -> ..data/<key>` created once, then the previous timestamped directory removed.
 */
function kubeletWrite(dir: string, files: Record<string, string>): void {
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

class DenyingFileSystem extends ConfigFileSystem {
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

class CountingWatcherFactory extends ConfigWatcherFactory {
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

interface Harness {
  dir: string;
  file: string;
  store: ConfigStore;
  svc: ConfigReloadService;
  events: ConfigChangeEvent[];
  fs: ConfigFileSystem;
  watchers: CountingWatcherFactory;
}

describe('ConfigReloadService (real files and watchers)', () => {
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
  let logs: { error: jest.SpyInstance; warn: jest.SpyInstance };

  beforeEach(() => {
    logs = {
      error: jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined),
      warn: jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined),
    };
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

  it('reloads an in-place write exactly once, with a typed change event', async () => {
    const file = join(tempDir(), 'mira.yaml');
    writeFileSync(file, yaml(10000));
    const h = await start(file);
    expect(h.svc.mode).toBe('native');

    writeFileSync(file, yaml(20000));
    await until('threshold 20000', () => threshold(h) === 20000);
    await settle(h.svc);

    expect(h.events).toHaveLength(1);
    expect(h.events[0].changes).toEqual([
      { path: 'governance.financial_threshold', previous: 10000, current: 20000 },
    ]);
    expect(h.store.status()).toMatchObject({ status: 'healthy', reloads: { ok: 1, failed: 0 } });
  });

  it('applies a file only once two reads stable_ms apart agree: a half-written file never applies', async () => {
    const file = join(tempDir(), 'mira.yaml');
    writeFileSync(file, yaml(10000));
    // The first read after the write sees the writer's first chunk (still a valid config).
    const fs = new (class extends ConfigFileSystem {
      partial: string | null = null;
      override readFile(path: string): Buffer {
        const p = this.partial;
        this.partial = null;
        return p === null ? super.readFile(path) : Buffer.from(p);
      }
    })();
    const h = await start(file, { fs, overrides: { config: { stable_ms: 100 } } });
    writeFileSync(file, yaml(100000));
    fs.partial = yaml(1);
    await until('the complete file applied', () => threshold(h) === 100000);
    await settle(h.svc);
    expect(h.events.map((e) => e.current.governance.financial_threshold)).toEqual([100000]);
  });

  it('holds an empty file and one that lost top-level sections; restoring them recovers', async () => {
    const file = join(tempDir(), 'mira.yaml');
    writeFileSync(file, yaml(10000, 'features:\n  beta: true\n'));
    const h = await start(file);
    writeFileSync(file, '# nothing but a comment\n');
    await until('degraded', () => h.store.status().status === 'degraded');
    expect(h.store.status()).toMatchObject({ reason: expect.stringContaining('is empty') });
    writeFileSync(file, yaml(20000));
    await until('held', () => /lost top-level section\(s\) features/.test(h.store.status().reason ?? ''));
    expect(threshold(h)).toBe(10000);
    writeFileSync(file, yaml(20000, 'features:\n  beta: false\n'));
    await until('recovered', () => h.store.status().status === 'healthy');
    expect(threshold(h)).toBe(20000);
    expect(h.events).toHaveLength(1);
  });

  it('reloads an editor-style atomic save (write temp + rename) exactly once', async () => {
    const dir = tempDir();
    const file = join(dir, 'mira.yaml');
    writeFileSync(file, yaml(10000));
    const h = await start(file);

    writeFileSync(join(dir, '.mira.yaml.swp-tmp'), yaml(30000));
    renameSync(join(dir, '.mira.yaml.swp-tmp'), file);
    await until('threshold 30000', () => threshold(h) === 30000);
    await settle(h.svc);

    expect(h.events).toHaveLength(1);
    expect(h.store.status().reloads).toEqual({ ok: 1, failed: 0 });
  });

  it('follows the kubelet AtomicWriter swap of a ConfigMap volume exactly once per update', async () => {
    const dir = tempDir();
    kubeletWrite(dir, { 'mira.yaml': yaml(10000), 'other.yaml': 'x: 1\n' });
    const file = join(dir, 'mira.yaml');
    const h = await start(file);
    expect(logs.warn.mock.calls.flat().join('\n')).not.toContain('subPath');

    kubeletWrite(dir, { 'mira.yaml': yaml(40000), 'other.yaml': 'x: 1\n' });
    await until('threshold 40000', () => threshold(h) === 40000);
    await settle(h.svc);
    expect(h.events).toHaveLength(1);

    // A second update: the watcher must still follow the new `..data` target.
    kubeletWrite(dir, { 'mira.yaml': yaml(50000), 'other.yaml': 'x: 2\n' });
    await until('threshold 50000', () => threshold(h) === 50000);
    await settle(h.svc);
    expect(h.events).toHaveLength(2);
    expect(h.store.status().reloads).toEqual({ ok: 2, failed: 0 });
  });

  it('does not reload when the content hash is unchanged (same bytes rewritten)', async () => {
    const file = join(tempDir(), 'mira.yaml');
    writeFileSync(file, yaml(10000));
    const h = await start(file);
    writeFileSync(file, yaml(10000));
    writeFileSync(file, yaml(10000));
    await settle(h.svc);
    expect(await h.svc.reload()).toEqual({ outcome: 'unchanged' });
    expect(h.store.status().reloads).toEqual({ ok: 0, failed: 0 });
    expect(h.events).toHaveLength(0);
  });

  it('keeps the last good config on invalid YAML, reports degraded with the reason, recovers on fix', async () => {
    const file = join(tempDir(), 'mira.yaml');
    writeFileSync(file, yaml(10000));
    const h = await start(file);

    writeFileSync(file, 'governance:\n  financial_threshold: [1, 2\n');
    await until('degraded', () => h.store.status().status === 'degraded');
    await settle(h.svc);
    expect(threshold(h)).toBe(10000);
    const s = h.store.status();
    expect(s.reason).toContain(`Config file ${file} is not valid YAML`);
    expect(s.reloads).toEqual({ ok: 0, failed: 1 });
    expect(logs.error).toHaveBeenCalledTimes(1);

    writeFileSync(file, yaml(15000));
    await until('recovered', () => h.store.status().status === 'healthy');
    expect(threshold(h)).toBe(15000);
    expect(h.store.status()).toMatchObject({ reason: null, reloads: { ok: 1, failed: 1 } });
  });

  it('keeps the last good config on a schema violation and names the key path', async () => {
    const file = join(tempDir(), 'mira.yaml');
    writeFileSync(file, yaml(10000));
    const h = await start(file);

    writeFileSync(file, yaml(-5, 'broker:\n  queue_size: 10\n'));
    await until('degraded', () => h.store.status().status === 'degraded');
    await settle(h.svc);
    expect(threshold(h)).toBe(10000);
    // Nothing half-applied: the valid broker.queue_size in the same file was not taken either.
    expect(h.store.get('broker').queue_size).toBe(1000);
    expect(h.store.status().reason).toMatch(/^Invalid configuration: governance\.financial_threshold: /);
    expect(logs.error).toHaveBeenCalledTimes(1);
    expect(String(logs.error.mock.calls[0][0])).toContain('governance.financial_threshold');
    expect(h.events).toHaveLength(0);

    writeFileSync(file, yaml(12000));
    await until('recovered', () => h.store.status().status === 'healthy');
    expect(threshold(h)).toBe(12000);
  });

  it('keeps the last good config when the file is deleted, and recovers when it comes back', async () => {
    const file = join(tempDir(), 'mira.yaml');
    writeFileSync(file, yaml(10000));
    const h = await start(file);

    unlinkSync(file);
    await until('degraded', () => h.store.status().status === 'degraded');
    await settle(h.svc);
    expect(h.store.status().reason).toBe(
      `Config file ${file} does not exist; fix the path in MIRA_CONFIG_FILE or the file's permissions`,
    );
    expect(threshold(h)).toBe(10000);
    expect(h.store.status().reloads.failed).toBe(1);
    expect(logs.error).toHaveBeenCalledTimes(1);

    // The same content as before the deletion still recovers (it is a new observation).
    writeFileSync(file, yaml(10000));
    await until('recovered', () => h.store.status().status === 'healthy');
    expect(threshold(h)).toBe(10000);
  });

  it('keeps the last good config when the file is not readable (permission denied), and recovers', async () => {
    const file = join(tempDir(), 'mira.yaml');
    writeFileSync(file, yaml(10000));
    // As root, chmod 000 does not stop reads, so the injected file system denies the read
    // exactly as open(2) would; as any other user the real chmod is used.
    const asRoot = process.getuid?.() === 0;
    const fs = new DenyingFileSystem();
    const h = await start(file, { fs });

    writeFileSync(file, yaml(20000));
    if (asRoot) fs.deny = true;
    else chmodSync(file, 0o000);
    await until('degraded', () => h.store.status().status === 'degraded');
    expect(h.store.status().reason).toBe(
      `Config file ${file} is not readable (permission denied); fix the path in MIRA_CONFIG_FILE or the file's permissions`,
    );
    expect(threshold(h)).toBe(10000);

    if (asRoot) fs.deny = false;
    else chmodSync(file, 0o644);
    // Fixing permissions changes no content and may fire no event; the next write (or poll) recovers.
    writeFileSync(file, yaml(20001));
    await until('recovered', () => h.store.status().status === 'healthy');
    expect(threshold(h)).toBe(20001);
    expect(h.store.status().reloads).toEqual({ ok: 1, failed: 1 });
  });

  it('keeps environment overrides in force after the file changes the same key', async () => {
    const file = join(tempDir(), 'mira.yaml');
    writeFileSync(file, yaml(10000));
    const h = await start(file, { env: { MIRA_GOVERNANCE__FINANCIAL_THRESHOLD: '5000' } });
    expect(threshold(h)).toBe(5000);

    writeFileSync(file, yaml(99999, 'logging:\n  level: debug\n'));
    await until('reload applied', () => h.store.get('logging').level === 'debug');
    expect(threshold(h)).toBe(5000);
    expect(h.events.flatMap((e) => e.changes.map((c) => c.path))).toEqual(['logging.level']);
  });

  it('applies live keys and holds restart-only keys at their running values (no half-apply)', async () => {
    const file = join(tempDir(), 'mira.yaml');
    writeFileSync(file, yaml(10000));
    const h = await start(file);

    writeFileSync(
      file,
      yaml(
        25000,
        'server:\n  port: 4321\nbroker:\n  transport: redis\n  queue_size: 64\n' +
          // Redis needs a shared store (a cross-field rule of the config).
          'state:\n  backend: postgres\n  postgres:\n    url: postgres://db.example/mira\n',
      ),
    );
    await until('reload applied', () => threshold(h) === 25000);
    expect(h.store.get('server').port).toBe(3000);
    expect(h.store.get('broker').transport).toBe('memory');
    expect(h.store.get('broker').queue_size).toBe(64);
    expect(h.store.status().pending_restart).toEqual([
      'server.port',
      'broker.transport',
      'state.backend',
      'state.postgres.url',
    ]);
    expect(h.events[0].changes.map((c) => c.path).sort()).toEqual([
      'broker.queue_size',
      'governance.financial_threshold',
    ]);
    const warning = logs.warn.mock.calls
      .map((c) => String(c[0]))
      .find((m) => m.includes('requires a restart'));
    expect(warning).toContain('server.port, broker.transport');

    // Reverting the restart-only keys clears the pending list (the sections stay: dropping a whole
    // section is held as a likely truncated write).
    writeFileSync(
      file,
      yaml(25000, 'server:\n  port: 3000\nbroker:\n  transport: memory\nstate:\n  backend: sqlite\n'),
    );
    await until('pending cleared', () => h.store.status().pending_restart.length === 0);
    expect(h.store.get('broker').queue_size).toBe(1000);
  });

  it('runs the store resolvers on reload; secret:// values stay as-is without one; a resolver failure keeps the old config', async () => {
    const file = join(tempDir(), 'mira.yaml');
    writeFileSync(file, yaml(10000));
    const h = await start(file);

    writeFileSync(file, yaml(10000, 'webhooks:\n  github:\n    secret: secret://github:hmac\n'));
    await until('reloaded', () => h.store.status().reloads.ok === 1);
    // webhooks.* reloads live; with no resolver registered the reference is kept as written.
    expect(h.store.status().pending_restart).toEqual([]);
    expect(h.store.get('webhooks').github.secret).toBe('secret://github:hmac');

    let calls = 0;
    h.store.addResolver({
      name: 'test',
      resolve: (config) => {
        calls++;
        if (config.governance.compliance_threshold === 'secret://gov:level')
          throw new Error('secret gov:level not found; create it in the secrets backend');
        return config;
      },
    });
    const hook = 'webhooks:\n  github:\n    secret: secret://github:hmac\n';
    writeFileSync(file, yaml(11000, `  compliance_threshold: secret://gov:level\n${hook}`));
    await until('degraded', () => h.store.status().status === 'degraded');
    expect(calls).toBe(1);
    expect(threshold(h)).toBe(10000);
    expect(h.store.status().reason).toBe(
      'Configuration reload failed: secret gov:level not found; create it in the secrets backend',
    );

    writeFileSync(file, yaml(11000, `  compliance_threshold: high\n${hook}`));
    await until('recovered', () => h.store.status().status === 'healthy');
    expect(h.store.get('governance')).toMatchObject({
      financial_threshold: 11000,
      compliance_threshold: 'high',
    });
  });

  it('polls when configured, without ever starting native watching', async () => {
    const dir = tempDir();
    kubeletWrite(dir, { 'mira.yaml': yaml(10000) });
    const file = join(dir, 'mira.yaml');
    const watchers = new CountingWatcherFactory(new Error('native watching disabled in this test'));
    const h = await start(file, { overrides: { config: { watch_mode: 'poll' } }, watchers });
    expect(h.svc.mode).toBe('poll');

    kubeletWrite(dir, { 'mira.yaml': yaml(60000) });
    await until('threshold 60000', () => threshold(h) === 60000);
    writeFileSync(join(dir, '..data', 'mira.yaml'), yaml(70000));
    await until('threshold 70000', () => threshold(h) === 70000);
    await settle(h.svc);
    expect(watchers.nativeCalls).toBe(0);
    expect(h.events).toHaveLength(2);
  });

  it('falls back to polling (auto mode) when native watching cannot start', async () => {
    const file = join(tempDir(), 'mira.yaml');
    writeFileSync(file, yaml(10000));
    const watchers = new CountingWatcherFactory(
      Object.assign(new Error('ENOSPC: System limit for number of file watchers reached'), {
        code: 'ENOSPC',
      }),
    );
    const h = await start(file, { watchers });
    expect(watchers.nativeCalls).toBe(1);
    expect(h.svc.mode).toBe('poll');
    expect(h.store.status().status).toBe('healthy');

    writeFileSync(file, yaml(80000));
    await until('threshold 80000', () => threshold(h) === 80000);
  });

  it('follows a symlink that leads outside the watched directory', async () => {
    const real = join(tempDir(), 'real.yaml');
    writeFileSync(real, yaml(10000));
    const file = join(tempDir(), 'mira.yaml');
    symlinkSync(real, file);
    const h = await start(file);
    writeFileSync(real, yaml(90000));
    await until('threshold 90000', () => threshold(h) === 90000);
  });

  it('warns at start when the file sits beside ..data but is not a symlink (subPath mount)', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, '..2026_11_22_10_00_00.1'));
    symlinkSync('..2026_11_22_10_00_00.1', join(dir, '..data'));
    const file = join(dir, 'mira.yaml');
    writeFileSync(file, yaml(10000));
    await start(file);
    const warning = logs.warn.mock.calls.map((c) => String(c[0])).find((m) => m.includes('subPath'));
    expect(warning).toContain(`Config file ${file} sits in a ConfigMap-like directory`);
  });

  it('does nothing when hot_reload is off', async () => {
    const file = join(tempDir(), 'mira.yaml');
    writeFileSync(file, yaml(10000).replace('hot_reload: true', 'hot_reload: false'));
    const h = await start(file);
    expect(h.svc.mode).toBe('off');
    expect(h.watchers.nativeCalls + h.watchers.pollCalls).toBe(0);
  });
});
