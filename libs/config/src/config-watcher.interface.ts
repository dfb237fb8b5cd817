/** What a watcher observes: directories, and the entry names in them that matter. */
export interface ConfigWatchTarget {
  /** Directories watched at depth 0 (the file's own directory, so renames and `..data` swaps are seen). */
  dirs: string[];
  /** Entry names whose events trigger a check, e.g. `mira.yaml` and `..data`. */
  names: string[];
}

export interface ConfigWatcherHandlers {
  /** Something relevant may have changed: the caller debounces and compares content hashes. */
  onEvent(kind: string, path: string): void;
  /** The watcher cannot go on (e.g. ENOSPC inotify limit); the caller may fall back to polling. */
  onError(error: Error): void;
}

/** A running watcher; `close` is idempotent. */
export interface ConfigWatcher {
  readonly kind: 'native' | 'poll';
  /** Re-targets the watcher when the file's real location moved (native only). */
  retarget?(target: ConfigWatchTarget): void;
  close(): Promise<void>;
}
