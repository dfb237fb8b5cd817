import { Controller, Get, Module } from '@nestjs/common';
import { SkipThrottle, Throttle } from '@nestjs/throttler';
import { MemoryThrottlerStorage } from '../src/edge/memory-throttler.storage';
import { MESSAGE_BROKER } from '@mira/broker';
import { RedisThrottlerStorage } from '../src/security/redis-throttler.storage';
import { EDGE_THROTTLER_STORAGE } from '../src/security/throttler-storage.provider';
import { startPostgres, type PostgresServer } from './support/postgres-server';
import { startRedisServer, type RedisServer } from './support/redis-server';
import { request, startTestApp, type TestApp } from './support/test-app';

const limits = (limit: number, window_ms: number) => ({
  rate_limit: { limit, window_ms },
  webhook_rate_limit: { limit, window_ms },
});

/** Polls until `fn` is true (no fixed sleeps: the window ends when it ends). */
async function eventually(fn: () => Promise<boolean>, what: string, ms = 15000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function rateLimitSuite(
  name: string,
  extra: () => Record<string, unknown>,
  expectStorage: (s: unknown) => void,
) {
  describe(`rate limiting (${name})`, () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp({ overrides: { ...extra(), api: { keys: ['ka', 'kb'], ...limits(3, 1500) } } });
    });
    afterAll(() => t?.close());

    it('uses the expected storage', () => {
      expectStorage(t.app.get(EDGE_THROTTLER_STORAGE));
    });

    it('answers 429 with Retry-After past the limit, per API key, and resets after the window', async () => {
      const get = (key: string) => request(`${t.url}/api/v1/agents`, { headers: { 'x-api-key': key } });
      // The first window may already be under way; count from a fresh one by waiting for a 429 first.
      let blocked = await get('ka');
      for (let i = 0; i < 5 && blocked.status !== 429; i++) blocked = await get('ka');
      expect(blocked.status).toBe(429);
      const retryAfter = Number(blocked.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(blocked.body).toMatchObject({ statusCode: 429, error: 'Too Many Requests' });
      // Another key has its own budget.
      const other = await get('kb');
      expect(other.status).toBe(200);
      expect(other.headers.get('x-ratelimit-limit')).toBe('3');
      // After the window the key is served again.
      await eventually(async () => (await get('ka')).status === 200, 'the limit to reset');
    });

    it('limits /webhooks per client IP, and never health probes', async () => {
      let last = 0;
      for (let i = 0; i < 6; i++) last = (await request(`${t.url}/webhooks/github`, { body: {} })).status;
      expect(last).toBe(429);
      for (let i = 0; i < 10; i++) expect((await request(`${t.url}/healthz`)).status).toBe(200);
    });
  });
}

rateLimitSuite(
  'memory storage',
  () => ({}),
  (s) => expect(s).toBeInstanceOf(MemoryThrottlerStorage),
);

// A plugin's controllers may carry @nestjs/throttler's own decorators: the guard honours them.
@Controller('api/v1/plugin-throttle')
class PluginThrottleController {
  @Get('strict')
  @Throttle({ default: { limit: 1, ttl: 60_000 } })
  strict() {
    return { ok: true };
  }

  @Get('free')
  @SkipThrottle()
  free() {
    return { ok: true };
  }
}
// The same inherited handler on two controllers, throttled at class level on one of them only.
class BaseController {
  @Get('shared')
  shared() {
    return { ok: true };
  }
}
@Controller('api/v1/plugin-free')
@SkipThrottle()
class FreeInheritingController extends BaseController {}
@Controller('api/v1/plugin-plain')
class PlainInheritingController extends BaseController {}
@Module({ controllers: [PluginThrottleController, FreeInheritingController, PlainInheritingController] })
class PluginThrottleModule {}

describe('route-level @Throttle / @SkipThrottle (a plugin controller)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({
      overrides: { api: { keys: ['ka'], ...limits(3, 60_000) } },
      imports: [PluginThrottleModule],
    });
  });
  afterAll(() => t?.close());
  const get = (path: string) =>
    request(`${t.url}/api/v1/plugin-throttle/${path}`, { headers: { 'x-api-key': 'ka' } });

  it('applies a route @Throttle limit instead of the configured one', async () => {
    const first = await get('strict');
    expect(first.status).toBe(200);
    expect(first.headers.get('x-ratelimit-limit')).toBe('1');
    expect((await get('strict')).status).toBe(429);
  });

  it('a handler inherited by two controllers follows the decorators of each class', async () => {
    const call = (base: string) =>
      request(`${t.url}/api/v1/${base}/shared`, { headers: { 'x-api-key': 'ka' } });
    // The undecorated class first (its lean path is cached), then the @SkipThrottle one.
    let last = 200;
    for (let i = 0; i < 5 && last !== 429; i++) last = (await call('plugin-plain')).status;
    expect(last).toBe(429);
    for (let i = 0; i < 5; i++) expect((await call('plugin-free')).status).toBe(200);
  });

  it('skips a @SkipThrottle route past the configured limit', async () => {
    for (let i = 0; i < 6; i++) expect((await get('free')).status).toBe(200);
  });
});

const SHARED_KEY = 'replica-shared-key-3f9a27';

describe('with the Redis broker', () => {
  let redis: RedisServer;
  // Replicas on Redis share the postgres state store (sqlite is refused with redis).
  let postgres: PostgresServer;
  const state = () => ({ backend: 'postgres', postgres: { url: postgres.url } });
  beforeAll(async () => {
    [redis, postgres] = await Promise.all([startRedisServer(), startPostgres()]);
  }, 60000);
  afterAll(() => Promise.all([redis?.stop(), postgres?.stop()]));

  rateLimitSuite(
    'Redis storage',
    () => ({
      broker: { transport: 'redis', redis: { url: redis.url, stream_prefix: `rl${Date.now()}:` } },
      state: state(),
    }),
    (s) => expect(s).toBeInstanceOf(RedisThrottlerStorage),
  );

  it('shares one limit across two replicas', async () => {
    const overrides = {
      broker: { transport: 'redis', redis: { url: redis.url, stream_prefix: `shared${Date.now()}:` } },
      state: state(),
      // A key no log line can contain by chance (the leak scan looks for every configured key).
      api: { keys: [SHARED_KEY], ...limits(4, 60000) },
    };
    const a = await startTestApp({ overrides });
    const b = await startTestApp({ overrides });
    try {
      expect(a.app.get(MESSAGE_BROKER).transport).toBe('redis');
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) {
        const t = i % 2 === 0 ? a : b;
        statuses.push(
          (await request(`${t.url}/api/v1/agents`, { headers: { 'x-api-key': SHARED_KEY } })).status,
        );
      }
      expect(statuses.filter((s) => s === 200)).toHaveLength(4);
      expect(statuses.slice(4)).toEqual([429, 429]);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('falls back to per-process counting while Redis is down, and recovers', async () => {
    const storage = new RedisThrottlerStorage({
      url: redis.url,
      prefix: `down${Date.now()}:`,
      commandTimeoutMs: 500,
    });
    try {
      expect((await storage.increment('k', 1000, 5, 1000, 'default')).totalHits).toBe(1);
      await redis.down();
      const during = await storage.increment('k', 1000, 5, 1000, 'default');
      expect(during.isBlocked).toBe(false);
      expect(storage.degraded).toBe(true);
      await redis.restart();
      await eventually(async () => {
        await storage.increment('k2', 1000, 5, 1000, 'default');
        return !storage.degraded;
      }, 'Redis to be used again');
    } finally {
      await storage.onApplicationShutdown();
    }
  });
});
