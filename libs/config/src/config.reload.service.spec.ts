import { mkdirSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigFileSystem } from './config.file-system';
import {
  yaml,
  until,
  settle,
  kubeletWrite,
  CountingWatcherFactory,
  useReloadHarness,
} from './config.reload.testing';

// Real files, real directories, real symlinks and (unless a test replaces it) real chokidar:
// what a change on disk triggers, and how the file is watched.

describe('ConfigReloadService (real files and watchers)', () => {
  const { logs, tempDir, start, threshold } = useReloadHarness();

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
