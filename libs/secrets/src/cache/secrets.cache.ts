import { createHash } from 'node:crypto';
import type { LoggerService } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { describeError, formatRef, SecretsError } from '../secrets.error';
import type { SecretsRedactionSink } from '../secrets.interface';
import type { CachedSecretState } from '../stats/secrets-stats.recorder';

interface Entry extends CachedSecretState {
  value: string;
  /** sha256 of the value: rotation is a changed hash. */
  hash: string;
}

interface Ref {
  name: string;
  key: string | undefined;
}

export interface SecretsCacheOptions {
  /** The backend's name, for messages. */
  backend: string;
  /** `secrets.cache_ttl` in ms; 0 reads the backend on every get (still one read per key at a time). */
  ttlMs: number;
  /** One backend read (with retries); undefined = not found. */
  read(name: string, key: string | undefined): Promise<string | undefined>;
  logger: LoggerService;
  redaction?: SecretsRedactionSink | null;
  /** A read finished: counts refreshes for the stats. */
  onRead(result: 'ok' | 'failed'): void;
  /** The number of values served stale changed. */
  onStale(count: number): void;
  /** A cached value changed. */
  onRotate(name: string, key: string | undefined): void;
}

/**
 * Far more names than a service references; the bound only keeps a caller asking for endless
 * distinct names from growing memory without limit (the least recently used are dropped).
 */
export const MAX_CACHED_SECRETS = 10_000;

const cacheKey = (name: string, key: string | undefined) =>
  key === undefined ? name : `${name}\u0000${key}`;
const digest = (value: string) => createHash('sha256').update(value).digest('base64');

/**
 * The secrets cache on lru-cache's `fetch`: TTL, one in-flight backend read per key (fetchMethod), and
 * on failure the last good value (`allowStaleOnFetchRejection` + `noDeleteOnFetchRejection`), marked
 * stale with the reason. A stale value is served at once while a background read tries again
 * (`allowStale` + `forceRefresh`), until a read succeeds. A secret deleted at the source is kept the
 * same way: a deleted file or secret is as likely a botched rotation as a revocation, and forgetting
 * it would also stop it being re-read when it comes back.
 *
 * Hand-written beside it: the set of cached keys, because lru-cache's iterators skip a key while its
 * refresh is in flight, and the stats, the background refresh and the health check must see them all.
 */
export class SecretsCache {
  private readonly lru: LRUCache<string, Entry, Ref>;
  private readonly keys = new Set<string>();
  /** What to do once lru-cache holds a newly read value (so listeners that read it again get it). */
  private readonly afterInsert = new WeakMap<Entry, () => void>();

  constructor(private readonly options: SecretsCacheOptions) {
    const ttl = Math.round(options.ttlMs);
    this.lru = new LRUCache<string, Entry, Ref>({
      max: MAX_CACHED_SECRETS,
      ttl: ttl > 0 ? ttl : undefined,
      noDeleteOnFetchRejection: true,
      fetchMethod: (k, previous, { context, options: fetchOptions }) =>
        this.load(k, context, previous, fetchOptions),
      onInsert: (entry) => {
        const after = this.afterInsert.get(entry);
        this.afterInsert.delete(entry);
        // A microtask: lru-cache finishes the set (TTL start) first.
        if (after) queueMicrotask(after);
      },
      dispose: (_value, k, reason) => {
        if (reason === 'evict' || reason === 'delete') this.keys.delete(k);
      },
    });
  }

  /** The value, or undefined when the backend does not have it (and never had it since start). */
  async get(name: string, key: string | undefined): Promise<string | undefined> {
    const k = cacheKey(name, key);
    const previous = this.lru.peek(k, { allowStale: true });
    const stale = previous !== undefined && previous.staleSince !== null;
    const entry = await this.lru.fetch(k, {
      context: { name, key },
      forceRefresh: stale || this.options.ttlMs <= 0,
      allowStale: stale,
      // Only with a last good value: on a cold miss lru-cache would turn the error into undefined.
      allowStaleOnFetchRejection: previous !== undefined,
    });
    return entry?.value;
  }

  /** Re-reads every cached secret now (the background refresh), or every cached key of one secret. */
  async refresh(name?: string): Promise<void> {
    const due = [...this.entries()].filter((e) => name === undefined || e.name === name);
    await Promise.all(
      due.map((e) =>
        this.lru
          .fetch(cacheKey(e.name, e.key), {
            context: { name: e.name, key: e.key },
            forceRefresh: true,
            allowStaleOnFetchRejection: true,
          })
          .catch(() => undefined),
      ),
    );
  }

  /** Every cached secret's state (no values), also while it is being re-read. */
  *entries(): IterableIterator<CachedSecretState> {
    for (const k of this.keys) {
      const entry = this.lru.peek(k, { allowStale: true });
      if (entry) yield entry;
    }
  }

  private async load(
    k: string,
    { name, key }: Ref,
    previous: Entry | undefined,
    fetchOptions: LRUCache.FetcherFetchOptions<string, Entry, Ref>,
  ): Promise<Entry | undefined> {
    let value: string | undefined;
    try {
      value = await this.options.read(name, key);
    } catch (err) {
      this.options.onRead('failed');
      if (previous && !(err instanceof SecretsError && err.code === 'SECRET_NAME_INVALID'))
        this.markStale(previous, describeError(err));
      // An invalid name fails even with a cached value (the entry itself is kept).
      else fetchOptions.allowStaleOnFetchRejection = false;
      throw err;
    }
    this.options.onRead('ok');
    if (value === undefined) {
      if (!previous) return undefined;
      this.markStale(previous, `not found in the ${this.options.backend} backend (deleted?)`);
      return previous;
    }
    const hash = digest(value);
    // Once per distinct value of an entry; rotated-out values stay registered (they may still be valid).
    if (previous?.hash !== hash) this.options.redaction?.register(value);
    const entry: Entry = { name, key, value, hash, fetchedAt: Date.now(), staleSince: null, lastError: null };
    this.keys.add(k);
    const recovered = previous !== undefined && previous.staleSince !== null;
    const rotated = previous !== undefined && previous.hash !== hash;
    if (recovered || rotated)
      this.afterInsert.set(entry, () => {
        if (recovered) {
          this.options.logger.log(`${formatRef(name, key)} read again after backend errors`);
          this.options.onStale(this.staleCount());
        }
        if (rotated) this.options.onRotate(name, key);
      });
    return entry;
  }

  /** Marks an entry stale (logged once per episode, or when the reason changes). */
  private markStale(entry: Entry, reason: string): void {
    if (entry.staleSince === null || entry.lastError !== reason)
      this.options.logger.warn(
        `Serving the last good value of ${formatRef(entry.name, entry.key)}: ${reason}`,
      );
    entry.staleSince ??= Date.now();
    entry.lastError = reason;
    this.options.onStale(this.staleCount());
  }

  private staleCount(): number {
    let stale = 0;
    for (const e of this.entries()) if (e.staleSince !== null) stale++;
    return stale;
  }
}
