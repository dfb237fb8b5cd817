import { Worker } from 'node:worker_threads';
import { Logger } from '@nestjs/common';

/**
 * Checkpoints the WAL from a worker thread with its own connection. node:sqlite is synchronous:
 * an automatic checkpoint (fsync of the database file) inside a commit stalls every request on
 * the event loop, so the main connection turns them off (wal_autocheckpoint=0) and this thread
 * runs PASSIVE checkpoints, which never block writers, on a timer. Hand-written because no
 * library does this for node:sqlite; it is a dozen lines.
 */
const WORKER = `
const { workerData, parentPort } = require('node:worker_threads');
const { DatabaseSync } = require('node:sqlite');
const { existsSync } = require('node:fs');
let db = null;
let reported = false;
// An I/O error (disk full, file gone, EIO) is reported once and retried on the next tick: the
// thread never ends on its own, so checkpoints resume when the disk does.
const checkpoint = () => {
  try {
    // Never open a path that is gone: that would create an empty database in its place.
    if (!db && !existsSync(workerData.path)) throw new Error('the database file is missing');
    db ??= new DatabaseSync(workerData.path, { timeout: workerData.busyTimeoutMs });
    db.exec('PRAGMA wal_checkpoint(PASSIVE)');
    reported = false;
  } catch (err) {
    const busy = /locked|busy/i.test(String(err && err.message));
    if (!busy && !reported) parentPort.postMessage({ error: String((err && err.message) || err).split('\\n')[0] });
    if (!busy) reported = true;
  }
};
const timer = setInterval(checkpoint, workerData.intervalMs);
parentPort.on('message', () => {
  clearInterval(timer);
  checkpoint();
  try { db && db.close(); } catch {}
  process.exit(0);
});
`;

export class SqliteCheckpointer {
  private readonly worker: Worker;
  private readonly exited: Promise<void>;
  /** Checkpoint failures reported so far (the thread keeps retrying). */
  failures = 0;

  constructor(path: string, intervalMs: number, busyTimeoutMs: number) {
    // --no-warnings: node:sqlite's experimental warning was already handled in the main thread.
    this.worker = new Worker(WORKER, {
      eval: true,
      workerData: { path, intervalMs, busyTimeoutMs },
      execArgv: ['--no-warnings'],
    });
    this.worker.unref();
    const logger = new Logger('StateStore');
    this.worker.on('message', (m: { error?: string }) => {
      this.failures++;
      logger.warn(
        `sqlite WAL checkpoint failed (${m.error}); retrying every ${intervalMs} ms. The WAL file grows until it succeeds: check the disk of ${path}`,
      );
    });
    // A thread that dies anyway must not take the process with it (an unhandled 'error' would).
    this.worker.on('error', (err) => {
      this.failures++;
      logger.error(`sqlite WAL checkpoint thread ended: ${err.message.split('\n')[0]}`);
    });
    this.exited = new Promise((resolve) => this.worker.once('exit', () => resolve()));
  }

  /** A last checkpoint, then the thread ends (bounded: a wedged thread is terminated). */
  async stop(timeoutMs = 2000): Promise<void> {
    this.worker.postMessage('stop');
    const timer = setTimeout(() => void this.worker.terminate(), timeoutMs);
    await this.exited;
    clearTimeout(timer);
  }
}
