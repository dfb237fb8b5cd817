import { BrokerError } from '../broker.error';
import { idempotencyStoreOf, RedisIdempotencyStore, type IdempotencyClient } from './redis.idempotency';

function fakeClient(status = 'ready') {
  const keys = new Map<string, string>();
  const calls: unknown[][] = [];
  const client: IdempotencyClient = {
    status,
    set: async (key, value, ...rest) => {
      calls.push([key, value, ...rest]);
      const mode = rest[2];
      if (mode === 'NX' ? keys.has(key) : !keys.has(key)) return null;
      keys.set(key, value);
      return 'OK';
    },
    del: async (key) => Number(keys.delete(key)),
  };
  return { client, calls };
}

describe('RedisIdempotencyStore', () => {
  it('claims with SET key NX PX ttl under the prefix; a second claim is a duplicate', async () => {
    const { client, calls } = fakeClient();
    const store = new RedisIdempotencyStore(() => client, 'mira:idempotency:');
    expect(await store.claim('gh-1', 60000)).toBe(true);
    expect(await store.claim('gh-1', 60000)).toBe(false);
    expect(calls[0]).toEqual(['mira:idempotency:gh-1', '1', 'PX', 60000, 'NX']);
    await store.release('gh-1');
    expect(await store.claim('gh-1', 60000)).toBe(true);
  });

  it('extends an existing claim with SET key XX PX ttl; a lapsed claim is not re-created', async () => {
    const { client, calls } = fakeClient();
    const store = new RedisIdempotencyStore(() => client, 'p:');
    expect(await store.extend('gone', 1000)).toBe(false);
    expect(await store.claim('k', 60000)).toBe(true);
    expect(await store.extend('k', 86400000)).toBe(true);
    expect(calls.at(-1)).toEqual(['p:k', '1', 'PX', 86400000, 'XX']);
    await expect(store.extend('k', 0)).rejects.toMatchObject({ code: 'BROKER_INVALID_MESSAGE' });
  });

  it('refuses bad keys and TTLs, and reports an unreachable Redis as retryable', async () => {
    const store = new RedisIdempotencyStore(() => fakeClient().client, 'p:');
    await expect(store.claim('', 1)).rejects.toMatchObject({ code: 'BROKER_INVALID_MESSAGE' });
    await expect(store.claim('k', 0)).rejects.toMatchObject({ code: 'BROKER_INVALID_MESSAGE' });
    const down = new RedisIdempotencyStore(() => fakeClient('reconnecting').client, 'p:');
    const err = await down.claim('k', 10).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BrokerError);
    expect(err).toMatchObject({ code: 'BROKER_UNAVAILABLE', retryable: true });
  });

  it('idempotencyStoreOf finds the store of the active transport, or null', () => {
    const store = new RedisIdempotencyStore(() => null, 'p:');
    const transport = { idempotency: store } as never;
    expect(idempotencyStoreOf(transport)).toBe(store);
    expect(idempotencyStoreOf({ active: transport } as never)).toBe(store);
    expect(idempotencyStoreOf({} as never)).toBeNull();
  });
});
