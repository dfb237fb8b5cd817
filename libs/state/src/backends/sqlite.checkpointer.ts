import { statSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { Logger } from '@nestjs/common';

/**
 * Checkpoints the WAL from a worker thread with its own connection. node:sqlite is synchronous:
 * an automatic checkpoint (fsync of the database file) inside a commit stalls every request on
 * the event loop, so the main connection turns them off (wal_autocheckpoint=0) and this thread
 * runs PASSIVE checkpoints, which never block writers, on a timer. Hand-written because no
 * library does this for node:sqlite; it is a dozen lines.
 *
 * The thread (a V8 isolate: about 13 MiB of RSS) starts the first time the WAL has frames to
 * move, checked on the same timer: a replica that has written nothing since its database was
 * last closed cleanly never pays for it. Once started it runs until stop().
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
// Started because the WAL has frames: the first checkpoint now, then on the timer.
checkpoint();
const timer = setInterval(checkpoint, workerData.intervalMs);
parentPort.on('message', () => {
  clearInterval(timer);
  checkpoint();
  try { db && db.close(); } catch {}
  process.exit(0);
});
`;

export class SqliteCheckpointer {
  private worker: Worker | null = null;
  private exited: Promise<void> = Promise.resolve();
  private readonly watch: NodeJS.Timeout;
  /** Checkpoint failures reported so far (the thread keeps retrying). */
  failures = 0;

  constructor(
    private readonly path: string,
    private readonly intervalMs: number,
    private readonly busyTimeoutMs: number,
  ) {
    this.watch = setInterval(() => this.startOnceWalHasFrames(), intervalMs);
    this.watch.unref();
  }

  /** True once the checkpoint thread runs. */
  get started(): boolean {
    return this.worker !== null;
  }

  private startOnceWalHasFrames(): void {
    let size: number;
    try {
      size = statSync(`${this.path}-wal`).size;
    } catch {
      return; // no WAL yet: nothing written since the last clean close
    }
    if (size === 0) return;
    clearInterval(this.watch);
    this.start();
  }

  private start(): void {
    const { path, intervalMs, busyTimeoutMs } = this;
    // --no-warnings: node:sqlite's experimental warning was already handled in the main thread.
    const worker = new Worker(WORKER, {
      eval: true,
      workerData: { path, intervalMs, busyTimeoutMs },
      execArgv: ['--no-warnings'],
    });
    this.worker = worker;
    worker.unref();
    const logger = new Logger('StateStore');
    worker.on('message', (m: { error?: string }) => {
      this.failures++;
      logger.warn(
        `sqlite WAL checkpoint failed (${m.error}); retrying every ${intervalMs} ms. The WAL file grows until it succeeds: check the disk of ${path}`,
      );
    });
    // A thread that dies anyway must not take the process with it (an unhandled 'error' would).
    worker.on('error', (err) => {
      this.failures++;
      logger.error(`sqlite WAL checkpoint thread ended: ${err.message.split('\n')[0]}`);
    });
    this.exited = new Promise((resolve) => worker.once('exit', () => resolve()));
  }

  /**
   * A last checkpoint, then the thread ends (bounded: a wedged thread is terminated). Without a
   * thread there is nothing to do: closing the main connection checkpoints what is left.
   */
  async stop(timeoutMs = 2000): Promise<void> {
    clearInterval(this.watch);
    const worker = this.worker;
    if (!worker) return;
    worker.postMessage('stop');
    const timer = setTimeout(() => void worker.terminate(), timeoutMs);
    await this.exited;
    clearTimeout(timer);
  }
}
