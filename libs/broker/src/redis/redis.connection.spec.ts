import { Redis, type RedisOptions } from 'ioredis';
import { freePort } from '../../../../apps/mira/test/support/child';
import { until } from '../../../../apps/mira/test/support/poll';
import { BrokerError } from '../broker.error';
import { RedisConnection } from './redis.connection';
import { newRuntime } from './redis.runtime';
import { testOptions, useRedisServer } from './redis.testing';

describe('RedisConnection (real redis-server)', () => {
  const redis = useRedisServer();
  const open: RedisConnection[] = [];
  const clients: Redis[] = [];
  redis.onCleanup(async () => {
    await Promise.all(open.map((c) => c.close().catch(() => undefined)));
    for (const c of clients) c.disconnect();
  });

  function connection(extra: Parameters<typeof testOptions>[1] = {}, url = redis.url) {
    const rt = newRuntime(testOptions(url, extra));
    const c = new RedisConnection(rt, 'conn-spec');
    open.push(c);
    return { rt, c };
  }
  const clientList = async () => (await redis.admin.call('CLIENT', 'LIST')) as string;

  it('opens a named command client; require() refuses before open and after close', async () => {
    const { c } = connection();
    expect(() => c.require()).toThrow(BrokerError);
    expect(c.client).toBeNull();
    await c.open();
    expect(c.ready).toBe(true);
    expect(await c.require().ping()).toBe('PONG');
    expect(await clientList()).toContain('name=mira-cmd-conn-spec');
    await c.close();
    expect(c.client).toBeNull();
    let err: unknown;
    try {
      c.require();
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: 'BROKER_UNAVAILABLE', retryable: true });
  });

  it('fails to open with one message naming the key, never the password', async () => {
    const port = await freePort();
    const { c } = connection({}, `redis://:s3cret@127.0.0.1:${port}`);
    const err = (await c.open().catch((e: unknown) => e)) as BrokerError;
    expect(err).toBeInstanceOf(BrokerError);
    expect(err).toMatchObject({ code: 'BROKER_UNAVAILABLE', retryable: true });
    expect(err.message).toMatch(
      /^broker\.redis\.url: Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+ is unreachable/,
    );
    expect(err.message).toContain('MIRA_BROKER__REDIS__URL');
    expect(err.message).not.toContain('s3cret');
  });

  it('never queues while disconnected and reconnects with bounded, jittered backoff', async () => {
    const { c } = connection({ reconnectMaxDelayMs: 300 });
    await c.open();
    const options = c.require().options;
    expect(options).toMatchObject({
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
    });
    const delays = Array.from({ length: 40 }, (_, i) => options.retryStrategy!(i + 1) as number);
    expect(Math.max(...delays)).toBeLessThanOrEqual(300);
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(25);
    expect(new Set(delays.slice(10)).size).toBeGreaterThan(1); // jittered, not one fixed delay
    // A killed connection comes back on its own.
    const lost = new Promise((r) => c.require().once('close', r));
    await redis.admin.call('CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'yes');
    await lost;
    await until(async () => c.ready && (await c.require().ping()) === 'PONG', 'the reconnect');
  });

  it('a reader is its own named connection; unblock() wakes it from a blocking read', async () => {
    const { c } = connection();
    await c.open();
    const reader = await c.reader('reader-1', 'reader of spec');
    clients.push(reader);
    await until(() => reader.status === 'ready', 'the reader');
    expect(reader.options).toMatchObject({ blockingTimeout: 200, connectionName: 'mira-reader-conn-spec' });
    const id = Number(await reader.call('CLIENT', 'ID'));
    const blocked = reader.call('XREAD', 'BLOCK', 0, 'STREAMS', 'conn-spec:nothing', '$');
    await until(
      async () => (await clientList()).includes(`id=${id} `) && (await clientList()).includes('cmd=xread'),
      'the blocked read',
    );
    await c.unblock(id);
    expect(await blocked).toBeNull();
  });

  it("a reader's idle blocking read may outlast the command timeout (readers take no socketTimeout)", async () => {
    const { c } = connection({ blockMs: 1200, commandTimeoutMs: 300 });
    await c.open();
    const reader = await c.reader('reader-2', 'reader of spec');
    clients.push(reader);
    await until(() => reader.status === 'ready', 'the reader');
    expect(reader.options.socketTimeout).toBeUndefined();
    let closed = false;
    reader.once('close', () => (closed = true));
    // Nothing arrives for 900 ms, three times the command timeout: the socket must stay up.
    expect(await reader.call('XREAD', 'BLOCK', 900, 'STREAMS', 'conn-spec:idle', '$')).toBeNull();
    expect(closed).toBe(false);
    expect(reader.status).toBe('ready');
  });

  it('creates every client through createClient when given, with the role and the options it needs', async () => {
    const made: { role: string; options: RedisOptions }[] = [];
    const { c } = connection({
      createClient: async (role, options) => {
        made.push({ role, options });
        // A lazy client, as a shared connection lib may hand out: the connection connects it.
        const client = new Redis(redis.url, { ...options, lazyConnect: true });
        clients.push(client);
        return client;
      },
    });
    await c.open();
    const reader = await c.reader('reader-7', 'reader of spec');
    await until(() => reader.status === 'ready', 'the reader');
    expect(made.map((m) => m.role)).toEqual(['commands', 'reader-7']);
    expect(made[0].options).toMatchObject({
      connectionName: 'mira-cmd-conn-spec',
      enableOfflineQueue: false,
    });
    expect(made[1].options).toMatchObject({ connectionName: 'mira-reader-conn-spec', blockingTimeout: 200 });
    expect(typeof made[1].options.retryStrategy).toBe('function');
    expect(c.require()).toBe(clients.at(-2));
    expect(await clientList()).toContain('name=mira-reader-conn-spec');
  });
});
