import type { ConfigWatcher } from './config-watcher.interface';

/**
 * Polling: a timer that asks for a check every `intervalMs`; the check reads and hashes the
 * file. Hashing (not stat) is what catches a ConfigMap swap, whose file mtime does not change.
 */
export class PollingConfigWatcher implements ConfigWatcher {
  readonly kind = 'poll' as const;
  private readonly timer: NodeJS.Timeout;

  constructor(intervalMs: number, tick: () => void) {
    this.timer = setInterval(tick, intervalMs);
    // The HTTP server keeps the process alive; a poll timer alone must not.
    this.timer.unref();
  }

  close(): Promise<void> {
    clearInterval(this.timer);
    return Promise.resolve();
  }
}
