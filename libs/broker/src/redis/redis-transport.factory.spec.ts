import { validateConfig } from '@mira/config';
import { RedisConnections } from '@mira/redis';
import { startRedisServer, type RedisServer } from '../../../../apps/mira/test/support/redis-server';
import { RedisTransportFactory } from './redis-transport.factory';
import type { RedisTransportOptions } from './redis.interface';

/** The options the factory built the transport with (what the transport will create clients through). */
const optionsOf = (transport: unknown) =>
  (transport as { rt: { options: RedisTransportOptions } }).rt.options;

describe('RedisTransportFactory', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedisServer();
  });
  afterAll(() => redis?.stop());

  const context = () => ({
    config: validateConfig({ broker: { redis: { url: redis.url } } }),
    propagator: null,
    observers: [],
  });

  it('hands the transport a createClient backed by the shared connections', async () => {
    const connections = new RedisConnections({ url: redis.url });
    try {
      const transport = new RedisTransportFactory(connections).create(context());
      const { createClient, url } = optionsOf(transport);
      expect(url).toBe(redis.url);
      // As the transport does with its command client: lazy, then connect() and PING.
      const client = await createClient!('commands', { connectionName: 'mira-cmd-test', lazyConnect: true });
      await client.connect();
      expect(await client.ping()).toBe('PONG');
      expect(client.options.connectionName).toBe('mira-cmd-test');
      expect(connections.clients()).toEqual([{ name: 'broker:commands', status: 'ready' }]);
      await connections.closeAll();
      expect(client.status).toBe('end');
    } finally {
      await connections.closeAll();
    }
  });

  it('leaves client creation to the transport without shared connections (or with none configured)', () => {
    expect(optionsOf(new RedisTransportFactory().create(context())).createClient).toBeUndefined();
    const none = new RedisConnections({ url: null });
    expect(optionsOf(new RedisTransportFactory(none).create(context())).createClient).toBeUndefined();
  });
});
