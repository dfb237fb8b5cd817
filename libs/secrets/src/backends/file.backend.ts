import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { lstat, readFile, realpath } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { Injectable, type LoggerService } from '@nestjs/common';
import type { FSWatcher } from 'chokidar';
import { SecretsBackendProvider } from '../secrets.decorator';
import { formatRef, SecretsError } from '../secrets.error';
import type { SecretsBackend, SecretsBackendContext, SecretsBackendHealth } from '../secrets.interface';

const DEBOUNCE_MS = 25;
const POLL_MS = 500;

/** Rejects names that could escape the root (`..`, absolute paths, empty segments). */
export function safeSegments(value: string, what: string, ref: string): string[] {
  const parts = value.split('/');
  if (isAbsolute(value) || parts.some((p) => p === '' || p === '.' || p === '..' || p.includes('\\')))
    throw new SecretsError(
      'SECRET_NAME_INVALID',
      `Secret ${what} in ${ref} must be a relative path without "." or ".." segments`,
    );
  return parts;
}

/**
 * Files: `secret://<name>:<key>` is `<root>/<name>/<key>` (a Kubernetes secret volume mounted at
 * `<root>/<name>`), `secret://<name>` is `<root>/<name>` (Docker secrets). One trailing newline is
 * dropped. The root is watched with chokidar; on any event under `<root>/<name>` the cached keys of that
 * secret are re-read (realpath + content hash), which catches the kubelet's atomic `..data` symlink
 * swap as well as a rewritten file. A light poll of the files already read (and of those found
 * missing) backs the watcher up. A directory or a broken symlink where a secret should be is an
 * error, so the service keeps serving the last good value and reports it.
 */
@Injectable()
@SecretsBackendProvider('file')
export class FileSecretsBackend implements SecretsBackend {
  private root = '/etc/mira/secrets';
  private watcher: FSWatcher | null = null;
  private poll: NodeJS.Timeout | null = null;
  private logger: LoggerService | null = null;
  private notify: (name: string) => void = () => undefined;
  private readonly timers = new Map<string, NodeJS.Timeout>();
  /** name -> key -> realpath + sha256 of what was last read, for the poll. */
  private readonly seen = new Map<string, Map<string, string>>();
  private watchError: string | null = null;

  async init(context: SecretsBackendContext): Promise<void> {
    this.root = resolve(context.options.file.root);
    this.logger = context.logger;
    this.notify = context.notifyChanged;
    if (!existsSync(this.root)) {
      this.logger.warn?.(`secrets.file.root ${this.root} does not exist; file secrets will not be found`);
    } else {
      const { watch } = await import('chokidar');
      this.watcher = watch(this.root, { ignoreInitial: true, followSymlinks: false, depth: 4 });
      this.watcher.on('all', (_event, path) => this.onEvent(path));
      this.watcher.on('error', (err) => {
        this.watchError = (err as Error).message;
      });
    }
    this.poll = setInterval(() => void this.checkSeen(), POLL_MS);
    this.poll.unref();
  }

  async read(name: string, key: string | undefined): Promise<string | undefined> {
    const ref = formatRef(name, key);
    const path = join(
      this.root,
      ...safeSegments(name, 'name', ref),
      ...(key === undefined ? [] : safeSegments(key, 'key', ref)),
    );
    const keys = this.seen.get(name) ?? new Map<string, string>();
    this.seen.set(name, keys);
    let bytes: Buffer;
    let real: string;
    try {
      real = await realpath(path);
      bytes = await readFile(real);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // Remembered as missing (not forgotten), so the poll sees the secret come back.
      keys.set(key ?? '', `missing\u0000${code}`);
      if (code === 'EISDIR')
        throw new SecretsError('SECRET_NOT_A_FILE', `${ref}: ${path} is a directory, not a file`);
      if (code === 'ENOENT' && (await isSymlink(path)))
        throw new SecretsError(
          'SECRET_NOT_A_FILE',
          `${ref}: ${path} is a broken symlink (its target does not exist)`,
        );
      if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
      if (code === 'EACCES' || code === 'EPERM')
        throw new SecretsError(
          'SECRET_ACCESS_DENIED',
          `${ref}: the file under ${this.root} is not readable`,
          {
            transient: false,
          },
        );
      throw new SecretsError('SECRETS_BACKEND_UNAVAILABLE', `${ref}: reading the file failed (${code})`, {
        transient: true,
      });
    }
    keys.set(key ?? '', `${real}\u0000${createHash('sha256').update(bytes).digest('hex')}`);
    return bytes.toString('utf8').replace(/\r?\n$/, '');
  }

  health(): SecretsBackendHealth {
    return this.watchError
      ? { status: 'degraded', reason: `watching ${this.root} failed: ${this.watchError}`, root: this.root }
      : { status: 'healthy', root: this.root, watching: this.watcher !== null };
  }

  async close(): Promise<void> {
    if (this.poll) clearInterval(this.poll);
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    await this.watcher?.close();
    this.watcher = null;
  }

  private onEvent(path: string): void {
    const rel = relative(this.root, path);
    if (!rel || rel.startsWith('..')) return;
    // Any change below <root>/<first segment> may concern a secret whose name starts there.
    const top = rel.split(sep)[0];
    for (const name of this.seen.keys()) if (name === top || name.startsWith(`${top}/`)) this.debounced(name);
  }

  private debounced(name: string): void {
    clearTimeout(this.timers.get(name));
    const timer = setTimeout(() => {
      this.timers.delete(name);
      this.notify(name);
    }, DEBOUNCE_MS);
    timer.unref();
    this.timers.set(name, timer);
  }

  /**
   * Backs the watcher up (events on a deleted inode or a re-created directory can be missed): a
   * changed realpath or content of a file already read, or a missing one that came back, triggers
   * a re-read.
   */
  private async checkSeen(): Promise<void> {
    for (const [name, keys] of this.seen) {
      for (const [key, fingerprint] of keys) {
        let now: string;
        try {
          const real = await realpath(join(this.root, name, key));
          const hash = createHash('sha256')
            .update(await readFile(real))
            .digest('hex');
          now = `${real}\u0000${hash}`;
        } catch (err) {
          now = `missing\u0000${(err as NodeJS.ErrnoException).code}`;
        }
        if (now !== fingerprint) {
          keys.set(key, now);
          this.debounced(name);
        }
      }
    }
  }
}

async function isSymlink(path: string): Promise<boolean> {
  try {
    return (await lstat(path)).isSymbolicLink();
  } catch {
    return false;
  }
}
