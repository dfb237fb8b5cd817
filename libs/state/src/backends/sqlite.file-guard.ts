import { statSync } from 'node:fs';
import { Logger } from '@nestjs/common';
import { StateError } from '../state.error';

/** How often (at most) a request re-checks the file; the health probe checks every time. */
const CHECK_EVERY_MS = 1000;

/**
 * Notices the database file deleted or replaced underneath the service. SQLite keeps writing to the
 * inode it opened, so without this check a deleted file goes on accepting writes that vanish at the
 * next restart, and a file restored over it is silently ignored. Compares the path's device and
 * inode with the ones opened; one statSync (microseconds) per second at most on the request path.
 */
export class SqliteFileGuard {
  private readonly dev: number;
  private readonly ino: number;
  private checkedAt = 0;
  private failure: StateError | null = null;
  private readonly logger = new Logger('SqliteFileGuard');

  constructor(private readonly path: string) {
    const s = statSync(path);
    this.dev = s.dev;
    this.ino = s.ino;
  }

  /** Throws STATE_UNAVAILABLE once the path no longer names the file that was opened. */
  check(force = false): void {
    const now = Date.now();
    if (!force && now - this.checkedAt < CHECK_EVERY_MS) {
      if (this.failure) throw this.failure;
      return;
    }
    this.checkedAt = now;
    const failure = this.inspect();
    // The path goes to the operator's log once; API callers get a message without it.
    if (failure && !this.failure) this.logger.error(`${failure.message} (file: ${this.path})`);
    this.failure = failure;
    if (this.failure) throw this.failure;
  }

  private inspect(): StateError | null {
    let s;
    try {
      s = statSync(this.path);
    } catch {
      return new StateError(
        'STATE_UNAVAILABLE',
        `The sqlite database file (state.sqlite.path) was deleted while the service ran; nothing more is written to it. Restore it from a backup (docs/operations.md) and restart the service`,
      );
    }
    if (s.dev !== this.dev || s.ino !== this.ino)
      return new StateError(
        'STATE_UNAVAILABLE',
        `The sqlite database file (state.sqlite.path) was replaced by another file while the service ran; restart the service to open the new file (to restore a backup, stop the service first: docs/operations.md)`,
      );
    return null;
  }
}
