import { Worker } from 'node:worker_threads';

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
const db = new DatabaseSync(workerData.path, { timeout: workerData.busyTimeoutMs });
const checkpoint = () => {
  try { db.exec('PRAGMA wal_checkpoint(PASSIVE)'); } catch { /* busy: the next tick tries again */ }
};
const timer = setInterval(checkpoint, workerData.intervalMs);
parentPort.on('message', () => { clearInterval(timer); checkpoint(); db.close(); process.exit(0); });
`;

export class SqliteCheckpointer {
  private readonly worker: Worker;
  private readonly exited: Promise<void>;

  constructor(path: string, intervalMs: number, busyTimeoutMs: number) {
    // --no-warnings: node:sqlite's experimental warning was already handled in the main thread.
    this.worker = new Worker(WORKER, {
      eval: true,
      workerData: { path, intervalMs, busyTimeoutMs },
      execArgv: ['--no-warnings'],
    });
    this.worker.unref();
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
