import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { Test } from '@nestjs/testing';
import { HealthModule, HealthService } from '@mira/health';
import { ProcessSignals, ShutdownModule, ShutdownService } from '@mira/shutdown';
import { startRedisServer, type RedisServer } from '../../../apps/mira/test/support/redis-server';
import { RedisConnections } from './redis-connections.service';
import { RedisConnectionError } from './redis.error';
import { RedisModule } from './redis.module';

const PASSWORD = 'pw-7f3k-never-logged';

/** Captures every line the Nest loggers write, to check nothing leaks a credential. */
function captureLogs(): { lines: string[]; restore: () => void } {
  const lines: string[] = [];
  const record = (...args: unknown[]) => void lines.push(args.map(String).join(' '));
  const spies = (['log', 'warn', 'error', 'debug', 'verbose'] as const).map((level) =>
    jest.spyOn(Logger.prototype, level).mockImplementation(record),
  );
  return { lines, restore: () => spies.forEach((s) => s.mockRestore()) };
}

/** A client from create() connects in the background: wait for it. */
function untilReady(client: Redis): Promise<Redis> {
  if (client.status === 'ready') return Promise.resolve(client);
  return new Promise((resolve) => client.once('ready', () => resolve(client)));
}

/** Names of the server's client connections (CLIENT SETNAME), read from the server's side. */
async function clientNames(connections: RedisConnections, via: string): Promise<string[]> {
  const admin = await connections.ready(via);
  const list = (await admin.client('LIST')) as string;
  return [...list.matchAll(/ name=(\S*)/g)].map((m) => m[1]).filter((n) => n && n !== `mira-${via}`);
}

describe('RedisConnections (real redis-server)', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedisServer();
  });
  afterAll(() => redis?.stop());

  it('hands out a working named client, the same one for the same name, another for another name', async () => {
    const connections = new RedisConnections({ url: redis.url });
    try {
      const a = await connections.ready('limiter');
      await a.set('greeting', 'hello');
      expect(await a.get('greeting')).toBe('hello');
      expect(await connections.client('limiter')).toBe(a);
      expect(connections.peek('limiter')).toBe(a);
      const b = await connections.ready('dedupe');
      expect(b).not.toBe(a);
      expect(await b.get('greeting')).toBe('hello');
      expect(connections.clients().map((c) => c.name)).toEqual(['limiter', 'dedupe']);
    } finally {
      await connections.closeAll();
    }
  });

  it('applies per-use overrides over the module defaults', async () => {
    const retry = () => 123;
    const connections = new RedisConnections({ url: redis.url, defaults: { commandTimeoutMs: 900 } });
    try {
      const tuned = await connections.client('tuned', {
        commandTimeoutMs: 250,
        offlineQueue: true,
        retryStrategy: retry,
      });
      const plain = await connections.client('plain');
      expect(tuned.options).toMatchObject({
        commandTimeout: 250,
        enableOfflineQueue: true,
        connectionName: 'mira-tuned',
      });
      expect(tuned.options.retryStrategy).toBe(retry);
      expect(plain.options).toMatchObject({
        commandTimeout: 900,
        enableOfflineQueue: false,
        maxRetriesPerRequest: 0,
      });
      // create(): a new client per call, with the caller's ioredis options.
      const r1 = await connections.create('broker:reader', { connectionName: 'mira-reader-1' });
      const r2 = await connections.create('broker:reader', { connectionName: 'mira-reader-2' });
      expect(r1).not.toBe(r2);
      await Promise.all([untilReady(r1), untilReady(r2)]);
      expect(await clientNames(connections, 'plain')).toEqual(
        expect.arrayContaining(['mira-reader-1', 'mira-reader-2']),
      );
    } finally {
      await connections.closeAll();
    }
  });

  it('closes every client at shutdown, after the broker, and hands none out afterwards', async () => {
    const ref = await Test.createTestingModule({
      imports: [ShutdownModule.forRoot({ drainDelayMs: 0 }), RedisModule.forRoot({ url: redis.url })],
    })
      .overrideProvider(ProcessSignals)
      .useValue({ onSignals: () => () => undefined, onFatal: () => () => undefined, exit: () => undefined })
      .compile();
    const app = await ref.init();
    const connections = app.get(RedisConnections);
    const observer = new RedisConnections({ url: redis.url });
    try {
      const clients = await Promise.all([
        connections.ready('one'),
        connections.ready('two'),
        connections.create('three').then(untilReady),
      ]);
      expect(await clientNames(observer, 'observer')).toEqual(
        expect.arrayContaining(['mira-one', 'mira-two', 'mira-three']),
      );
      const shutdown = app.get(ShutdownService);
      const hook = shutdown.list().find((h) => h.name === 'redis');
      expect(hook?.priority).toBeGreaterThan(5); // the broker's hook (5) drains first
      const result = await shutdown.run('test');
      expect(result.hooks.find((h) => h.name === 'redis')?.outcome).toBe('completed');
      expect(clients.map((c) => c.status)).toEqual(['end', 'end', 'end']);
      expect(connections.clients()).toEqual([]);
      expect(await clientNames(observer, 'observer')).toEqual([]);
      await expect(connections.client('late')).rejects.toMatchObject({ code: 'REDIS_CLOSED' });
    } finally {
      await observer.closeAll();
      await app.close();
    }
  });

  describe('credentials', () => {
    let admin: RedisConnections;
    const url = (password: string) =>
      `redis://default:${encodeURIComponent(password)}@127.0.0.1:${redis.port}`;
    beforeAll(async () => {
      admin = new RedisConnections({ url: redis.url });
      await (await admin.ready('admin')).config('SET', 'requirepass', PASSWORD);
    });
    afterAll(async () => {
      await (await admin.client('admin')).config('SET', 'requirepass', '');
      await admin.closeAll();
    });

    it('connects with the right password', async () => {
      const connections = new RedisConnections({ url: url(PASSWORD) });
      try {
        expect(await (await connections.ready('authed')).ping()).toBe('PONG');
        expect(connections.redactedUrl).toBe(`redis://***:***@127.0.0.1:${redis.port}`);
      } finally {
        await connections.closeAll();
      }
    });

    it('never shows a password in errors, logs or /healthz, whatever fails', async () => {
      const wrong = `${PASSWORD}-wrong`;
      const logs = captureLogs();
      const failures: unknown[] = [];
      try {
        Logger.overrideLogger(['log', 'warn', 'error', 'debug', 'verbose']);
        // Refused by the server (WRONGPASS), refused by the socket (nothing listens), and a bad URL.
        for (const bad of [url(wrong), `redis://default:${PASSWORD}@127.0.0.1:1`]) {
          const connections = new RedisConnections({ url: bad, urlKey: 'broker.redis.url' });
          await connections.ready('doomed', 1500).catch((err: unknown) => failures.push(err));
          await connections.closeAll();
        }
        try {
          new RedisConnections({ url: `http://default:${PASSWORD}@127.0.0.1:${redis.port}` });
        } catch (err) {
          failures.push(err);
        }
        const ref = await Test.createTestingModule({
          imports: [
            HealthModule.forRoot({}),
            RedisModule.forRoot({ url: url(wrong), healthCheck: true, isGlobal: false }),
          ],
        }).compile();
        const app = await ref.init();
        const connections = app.get(RedisConnections);
        await connections.client('probe');
        const report = await app.get(HealthService).report();
        await app.close();

        expect(failures).toHaveLength(3);
        for (const err of failures) {
          expect(err).toBeInstanceOf(RedisConnectionError);
          expect(String((err as Error).message)).not.toContain(PASSWORD);
          expect((err as Error).message).toContain('broker.redis.url');
        }
        expect((failures[0] as RedisConnectionError).code).toBe('REDIS_UNAVAILABLE');
        expect((failures[0] as Error).message).toContain('redis://***:***@127.0.0.1');
        expect((failures[2] as RedisConnectionError).code).toBe('REDIS_INVALID_URL');
        expect(report.checks.redis).toMatchObject({
          status: 'degraded',
          url: expect.stringContaining('***'),
        });
        expect(JSON.stringify(report)).not.toContain(PASSWORD);
        expect(logs.lines.length).toBeGreaterThan(0);
        for (const line of logs.lines) expect(line).not.toContain(PASSWORD);
      } finally {
        logs.restore();
        Logger.overrideLogger(['log', 'error', 'warn']);
      }
    });
  });

  it('without a URL hands out nothing and never loads ioredis', () => {
    // A fresh process: jest's own module registry would hide what a real require loads.
    const root = join(__dirname, '../../..');
    const script = `
      require(${JSON.stringify(join(root, 'scripts/ts-register.js'))});
      const { RedisConnections } = require('@mira/redis');
      const c = new RedisConnections({ url: null });
      c.client('x').then(() => process.exit(3), async (err) => {
        await c.closeAll();
        const loaded = Object.keys(require.cache).some((f) => f.includes('/node_modules/ioredis/'));
        process.stdout.write(JSON.stringify({ enabled: c.enabled, code: err.code, message: err.message, loaded }));
      });`;
    const out = JSON.parse(execFileSync(process.execPath, ['-e', script], { cwd: root, encoding: 'utf8' }));
    expect(out).toEqual({
      enabled: false,
      code: 'REDIS_NOT_CONFIGURED',
      message: expect.stringContaining('set broker.redis.url'),
      loaded: false,
    });
  });
});
