import { randomBytes } from 'node:crypto';
import { ORCHESTRATOR_GROUP } from '@mira/agents';
import { MESSAGE_BROKER, type MessageBroker } from '@mira/broker';
import { request, startTestApp, type TestApp } from './support/test-app';
import { until } from './support/poll';
import { startPostgres, type PostgresServer } from './support/postgres-server';
import { startRedisServer, type RedisServer } from './support/redis-server';

const KEY = 'sub-key-0123456789abcdef';
const auth = { authorization: `Bearer ${KEY}` };
const FAILING_TYPE = 'lifecycle.fails';

/**
 * The processing and dead_lettered statuses come from the broker's lifecycle hooks: a handler
 * in the orchestrator group (the one that answers events) that holds then throws.
 */
function lifecycleCases(name: string, overrides: () => Record<string, unknown>, attempts: number) {
  describe(`Event lifecycle statuses (${name} broker)`, () => {
    let t: TestApp;
    let release: () => void = () => undefined;
    let runs = 0;

    beforeAll(async () => {
      t = await startTestApp({
        overrides: { api: { keys: [{ name: 'sam', key: KEY, roles: ['submitter'] }] }, ...overrides() },
      });
      const broker = t.app.get<MessageBroker>(MESSAGE_BROKER);
      const gate = new Promise<void>((resolve) => (release = resolve));
      await broker.subscribe(
        FAILING_TYPE,
        async () => {
          runs++;
          await gate; // held on the first run so `processing` can be read
          throw new Error('handler refuses this event');
        },
        { group: ORCHESTRATOR_GROUP },
      );
    }, 60000);
    afterAll(async () => {
      release();
      await t?.close();
    });

    const status = (id: string) => request(`${t.url}/api/v1/events/${id}`, { headers: auth });

    it('a failing handler shows processing, then dead_lettered with the reason', async () => {
      const posted = await request(`${t.url}/api/v1/events`, {
        body: { type: FAILING_TYPE, data: { n: 1 } },
        headers: auth,
      });
      expect(posted.status).toBe(202);
      const processing = await until(async () => {
        const r = await status(posted.body.id);
        return r.body.status === 'processing' ? r.body : null;
      }, 'processing');
      expect(processing).toMatchObject({ id: posted.body.id, type: FAILING_TYPE, response: null });
      release();
      const dead = await until(
        async () => {
          const r = await status(posted.body.id);
          return r.body.status === 'dead_lettered' ? r.body : null;
        },
        'dead_lettered',
        20000,
      );
      expect(dead).toMatchObject({
        id: posted.body.id,
        type: FAILING_TYPE,
        response: { status: 'error', error: expect.stringContaining('handler refuses this event') },
      });
      expect(runs).toBe(attempts);
      // Terminal: a later hook never steps it back.
      expect((await status(posted.body.id)).body.status).toBe('dead_lettered');
    }, 30000);
  });
}

// The memory transport never retries: one failed run is the last word.
lifecycleCases('memory', () => ({}), 1);

let redis: RedisServer;
let postgres: PostgresServer;
const prefix = `life${randomBytes(3).toString('hex')}:`;
describe('on Redis (real redis-server)', () => {
  beforeAll(async () => {
    [redis, postgres] = await Promise.all([startRedisServer(), startPostgres()]);
  }, 60000);
  afterAll(() => Promise.all([redis?.stop(), postgres?.stop()]));

  // Redis retries up to max_attempts, then moves the message to the dead-letter stream.
  lifecycleCases(
    'redis',
    () => ({
      broker: {
        transport: 'redis',
        max_attempts: 3,
        redis: { url: redis.url, stream_prefix: prefix, retry_base_ms: 10, retry_max_ms: 50 },
      },
      state: { backend: 'postgres', postgres: { url: postgres.url } },
    }),
    3,
  );
});
