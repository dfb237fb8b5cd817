import type { LoggerService } from '@nestjs/common';
import { until } from '../../../../apps/mira/test/support/poll';
import { SecretsError } from '../secrets.error';
import { SecretsCache, type SecretsCacheOptions } from './secrets.cache';

/** A cache over a map the test controls; records reads, warnings and notifications. */
function cacheOver(ttlMs: number, over: Partial<SecretsCacheOptions> = {}) {
  const source = new Map<string, string>();
  const seen = { reads: 0, results: [] as string[], stale: [] as number[], rotated: [] as string[] };
  const warnings: string[] = [];
  let failWith: unknown = null;
  let gate: Promise<void> | null = null;
  const logger: LoggerService = {
    log: () => undefined,
    error: () => undefined,
    warn: (m: string) => void warnings.push(m),
  };
  const cache: SecretsCache = new SecretsCache({
    backend: 'fake',
    ttlMs,
    logger,
    read: async (name, key) => {
      seen.reads++;
      if (gate) await gate;
      if (failWith) throw failWith;
      return source.get(`${name}:${key}`);
    },
    onRead: (r) => void seen.results.push(r),
    onStale: (n) => void seen.stale.push(n),
    onRotate: (name, key) => void seen.rotated.push(`${name}:${key}`),
    ...over,
  });
  return {
    cache,
    source,
    seen,
    warnings,
    fail: (err: unknown) => (failWith = err),
    hold: () => {
      let open!: () => void;
      gate = new Promise((r) => (open = r));
      return () => {
        gate = null;
        open();
      };
    },
  };
}

const down = () => new SecretsError('SECRETS_BACKEND_UNAVAILABLE', 'down', { transient: true });

describe('SecretsCache', () => {
  it('one backend read for concurrent misses of a key, then served from the cache within the TTL', async () => {
    const t = cacheOver(60_000);
    t.source.set('db:password', 'cached-value-1');
    const release = t.hold();
    const all = Promise.all(Array.from({ length: 50 }, () => t.cache.get('db', 'password')));
    release();
    expect(new Set(await all)).toEqual(new Set(['cached-value-1']));
    await t.cache.get('db', 'password');
    expect(t.seen.reads).toBe(1);
  });

  it('reads again once the TTL has passed, and on every get with a TTL of 0', async () => {
    const t = cacheOver(20);
    t.source.set('a:b', 'value-one');
    await t.cache.get('a', 'b');
    t.source.set('a:b', 'value-two');
    await until(async () => (await t.cache.get('a', 'b')) === 'value-two', 'the value re-read after the TTL');
    expect(t.seen.rotated).toEqual(['a:b']);

    const zero = cacheOver(0);
    zero.source.set('a:b', 'value-z');
    await zero.cache.get('a', 'b');
    await zero.cache.get('a', 'b');
    expect(zero.seen.reads).toBe(2);
  });

  it('an unknown secret is undefined and not remembered: the next get asks the backend again', async () => {
    const t = cacheOver(60_000);
    await expect(t.cache.get('nope', 'k')).resolves.toBeUndefined();
    t.source.set('nope:k', 'created-later');
    await expect(t.cache.get('nope', 'k')).resolves.toBe('created-later');
    expect([...t.cache.entries()].map((e) => e.name)).toEqual(['nope']);
  });

  it('a failure without a cached value is thrown; with one, the last good value is served, marked stale with the reason', async () => {
    const t = cacheOver(0);
    t.fail(down());
    await expect(t.cache.get('db', 'password')).rejects.toMatchObject({
      code: 'SECRETS_BACKEND_UNAVAILABLE',
    });
    expect([...t.cache.entries()]).toEqual([]);

    t.fail(null);
    t.source.set('db:password', 'last-good-1');
    await t.cache.get('db', 'password');
    t.fail(down());
    await expect(t.cache.get('db', 'password')).resolves.toBe('last-good-1');
    const [entry] = [...t.cache.entries()];
    expect(entry).toMatchObject({
      name: 'db',
      key: 'password',
      lastError: 'SECRETS_BACKEND_UNAVAILABLE: down',
    });
    expect(entry.staleSince).toEqual(expect.any(Number));
    expect(t.seen.stale).toEqual([1]);
    expect(t.warnings).toEqual([
      'Serving the last good value of secret://db:password: SECRETS_BACKEND_UNAVAILABLE: down',
    ]);
    expect(t.seen.results).toEqual(['failed', 'ok', 'failed']);
  });

  it('a stale value is served at once while one background read tries again; a success clears it', async () => {
    const t = cacheOver(60_000);
    t.source.set('db:password', 'last-good-2');
    await t.cache.get('db', 'password');
    t.fail(down());
    await t.cache.refresh();
    const reads = t.seen.reads;
    // The backend hangs: a stale get must not wait for it.
    const release = t.hold();
    await expect(t.cache.get('db', 'password')).resolves.toBe('last-good-2');
    await expect(t.cache.get('db', 'password')).resolves.toBe('last-good-2');
    expect(t.seen.reads).toBe(reads + 1);
    // Still listed (and stale) while its re-read is in flight.
    expect([...t.cache.entries()]).toEqual([
      expect.objectContaining({ name: 'db', staleSince: expect.any(Number) }),
    ]);
    t.fail(null);
    t.source.set('db:password', 'recovered-3');
    release();
    await until(async () => (await t.cache.get('db', 'password')) === 'recovered-3', 'the re-read value');
    expect([...t.cache.entries()][0].staleSince).toBeNull();
    expect(t.seen.stale.at(-1)).toBe(0);
    expect(t.seen.rotated).toEqual(['db:password']);
  });

  it('a secret deleted at the source keeps its last value, stale, and is re-read when it returns', async () => {
    const t = cacheOver(60_000);
    t.source.set('api:key', 'before-delete');
    await t.cache.get('api', 'key');
    t.source.delete('api:key');
    await t.cache.refresh('api');
    await expect(t.cache.get('api', 'key')).resolves.toBe('before-delete');
    await new Promise((r) => setImmediate(r));
    expect([...t.cache.entries()][0]).toMatchObject({
      staleSince: expect.any(Number),
      lastError: 'not found in the fake backend (deleted?)',
    });
    t.source.set('api:key', 'after-return');
    await t.cache.refresh('api');
    await expect(t.cache.get('api', 'key')).resolves.toBe('after-return');
  });

  it('rotation is announced once the new value is in the cache: a subscriber reading it gets the new one, also after staleness', async () => {
    const readBack: (string | undefined)[] = [];
    const subscriber: { cache?: SecretsCache } = {};
    const t = cacheOver(60_000, {
      onRotate: (name, key) => void subscriber.cache!.get(name, key).then((v) => readBack.push(v)),
    });
    const cache = (subscriber.cache = t.cache);
    t.source.set('api:key', 'old-value');
    await cache.get('api', 'key');
    // Stale first: a get during the re-read would be answered with the stale value at once.
    t.fail(down());
    await cache.refresh();
    t.fail(null);
    t.source.set('api:key', 'new-value');
    await cache.refresh();
    await until(() => readBack.length === 1, 'the subscriber read');
    expect(readBack).toEqual(['new-value']);
    expect(t.seen.reads).toBe(3);
  });

  it('refresh(name) re-reads only that secret; refresh() every cached one', async () => {
    const t = cacheOver(60_000);
    t.source.set('a:x', 'ax-1');
    t.source.set('a:y', 'ay-1');
    t.source.set('b:z', 'bz-1');
    for (const [n, k] of [
      ['a', 'x'],
      ['a', 'y'],
      ['b', 'z'],
    ])
      await t.cache.get(n, k);
    const reads = t.seen.reads;
    await t.cache.refresh('a');
    expect(t.seen.reads).toBe(reads + 2);
    await t.cache.refresh();
    expect(t.seen.reads).toBe(reads + 5);
  });

  it('an invalid name fails even when a value is cached, and the value stays cached', async () => {
    const t = cacheOver(0);
    t.source.set('x:y', 'valid-before');
    await t.cache.get('x', 'y');
    t.fail(new SecretsError('SECRET_NAME_INVALID', 'bad name'));
    await expect(t.cache.get('x', 'y')).rejects.toThrow('bad name');
    expect([...t.cache.entries()]).toEqual([expect.objectContaining({ name: 'x', staleSince: null })]);
  });

  it('hands every distinct value to the redaction sink once', async () => {
    const registered: string[] = [];
    const t = cacheOver(0, { redaction: { register: (v) => void registered.push(v) } });
    t.source.set('a:b', 'first-redacted');
    await t.cache.get('a', 'b');
    await t.cache.get('a', 'b');
    t.source.set('a:b', 'second-redacted');
    await t.cache.get('a', 'b');
    expect(registered).toEqual(['first-redacted', 'second-redacted']);
  });
});
