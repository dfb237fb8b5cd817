import { basename, dirname } from 'node:path';
import type { ConfigWatcher, ConfigWatcherHandlers, ConfigWatchTarget } from './config-watcher.interface';

type ChokidarWatcher = import('chokidar').FSWatcher;

/**
 * Native watching with chokidar: one fs.watch per directory (depth 0), symlinks watched as
 * themselves so the kubelet's `..data` swap shows up as an event on `..data`.
 */
export class NativeConfigWatcher implements ConfigWatcher {
  readonly kind = 'native' as const;
  private names = new Set<string>();
  private dirs = new Set<string>();
  private closed = false;

  private constructor(
    private readonly watcher: ChokidarWatcher,
    target: ConfigWatchTarget,
  ) {
    this.setTarget(target);
  }

  static async start(
    target: ConfigWatchTarget,
    handlers: ConfigWatcherHandlers,
  ): Promise<NativeConfigWatcher> {
    // Loaded lazily: polling-only deployments never load the watcher library.
    const { watch } = await import('chokidar');
    const watcher = watch(target.dirs, {
      depth: 0,
      ignoreInitial: true,
      followSymlinks: false,
      // Our own debounce + content hash replace chokidar's 100 ms unlink/add coalescing.
      atomic: false,
      persistent: false,
      backend: 'native',
    });
    const self = new NativeConfigWatcher(watcher, target);
    await new Promise<void>((resolve, reject) => {
      watcher.once('ready', () => resolve());
      watcher.once('error', (err) => reject(err instanceof Error ? err : new Error(String(err))));
    });
    watcher.on('all', (event, path) => {
      if (!self.closed && self.dirs.has(dirname(path)) && self.names.has(basename(path)))
        handlers.onEvent(event, path);
    });
    watcher.on('error', (err) => {
      if (!self.closed) handlers.onError(err instanceof Error ? err : new Error(String(err)));
    });
    return self;
  }

  retarget(target: ConfigWatchTarget): void {
    const added = target.dirs.filter((d) => !this.dirs.has(d));
    const removed = [...this.dirs].filter((d) => !target.dirs.includes(d));
    if (removed.length > 0) this.watcher.unwatch(removed);
    if (added.length > 0) this.watcher.add(added);
    this.setTarget(target);
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.watcher.close();
  }

  private setTarget(target: ConfigWatchTarget): void {
    this.dirs = new Set(target.dirs);
    this.names = new Set(target.names);
  }
}
