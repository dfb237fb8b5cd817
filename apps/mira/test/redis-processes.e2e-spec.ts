import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { RedisTransport, redisTransportOptions } from '@mira/broker';
import { miraConfigSchema } from '@mira/config';
import { ClsContextPropagator, runWithCorrelation } from '@mira/logging';
import { runNode, type Child } from './support/child';
import { useRedisServer } from './support/redis-server';
import { until as poll } from './support/poll';

const WORKER = join(__dirname, 'support/redis-worker.js');

interface Line {
  event: string;
  id?: string;
  correlation_id?: string;
  msg?: string;
  message_id?: string;
  [k: string]: unknown;
}

// Label first here: reads better in these specs (`until('all acked', ...)`).
const until = <T>(what: string, check: () => T | Promise<T>, timeoutMs = 30000) =>
  poll(check, what, timeoutMs);

/** A consumer process (support/redis-worker.js) and its parsed stdout lines. */
class Worker {
  readonly child: Child;
  constructor(env: Record<string, string>) {
    this.child = runNode([WORKER], env);
  }
  lines(): Line[] {
    return this.child
      .stdout()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Line);
  }
  ids(event: string): string[] {
    return this.lines()
      .filter((l) => l.event === event)
      .map((l) => l.id!);
  }
  async ready(): Promise<void> {
    await until(`worker ready (stderr: ${this.child.stderr()})`, () => {
      if (this.child.proc.exitCode !== null) throw new Error(`worker exited: ${this.child.stderr()}`);
      return this.lines().some((l) => l.event === 'ready');
    });
  }
  kill(signal: NodeJS.Signals): void {
    this.child.proc.kill(signal);
  }
}

describe('Redis transport across processes (real redis-server, child consumer processes)', () => {
  const redis = useRedisServer();
  const workers: Worker[] = [];
  const transports: RedisTransport[] = [];
  redis.onCleanup(async () => {
    for (const w of workers)
      if (w.child.proc.exitCode === null && w.child.proc.signalCode === null) w.kill('SIGKILL');
    await Promise.all(workers.map((w) => w.child.exited));
    await Promise.all(transports.map((t) => t.stop().catch(() => undefined)));
  });

  function worker(env: Record<string, string>): Worker {
    const w = new Worker({ REDIS_URL: redis.url, ...env });
    workers.push(w);
    return w;
  }

  async function publisher(prefix: string): Promise<RedisTransport> {
    const config = miraConfigSchema.parse({ broker: { redis: { url: redis.url, stream_prefix: prefix } } });
    const t = new RedisTransport(
      redisTransportOptions(config.broker, { propagator: new ClsContextPropagator() }),
    );
    transports.push(t);
    await t.start();
    return t;
  }

  const pendingCount = async (stream: string, group: string) =>
    ((await redis.admin.xpending(stream, group)) as [number])[0];

  it('kill -9 of one of two consumer processes with messages in flight: every message is processed, nothing stays pending', async () => {
    const prefix = `k${randomBytes(3).toString('hex')}:`;
    const env = {
      PREFIX: prefix,
      TYPE: 'work',
      GROUP: 'workers',
      HANDLE_MS: '200',
      MAX_IN_FLIGHT: '4',
      BATCH: '4',
      VISIBILITY_MS: '1500',
    };
    const a = worker(env);
    const b = worker(env);
    await Promise.all([a.ready(), b.ready()]);
    const pub = await publisher(prefix);
    const ids: string[] = [];
    for (let i = 0; i < 40; i++) ids.push(await pub.publish('work', { i }));

    // Kill A while it is in the middle of handlers (started, not done).
    const inFlight = await until('A to have handlers in flight', () => {
      const done = new Set(a.ids('done'));
      const started = a.ids('start').filter((id) => !done.has(id));
      return started.length > 0 ? started : null;
    });
    a.kill('SIGKILL');
    expect((await a.child.exited).signal).toBe('SIGKILL');
    const doneByA = new Set(a.ids('done'));
    const lost = a.ids('start').filter((id) => !doneByA.has(id));
    expect(lost.length).toBeGreaterThanOrEqual(inFlight.length > 0 ? 1 : 0);

    // B reclaims what A held once the visibility timeout passes.
    await until('every message processed by A or B', () => {
      const done = new Set([...doneByA, ...b.ids('done')]);
      return ids.every((id) => done.has(id));
    });
    const doneByB = new Set(b.ids('done'));
    for (const id of lost) expect(doneByB.has(id)).toBe(true);
    await until(
      'nothing pending in the group',
      async () => (await pendingCount(`${prefix}work`, 'workers')) === 0,
    );
  });

  it('SIGTERM drains: in-flight handlers finish and are acked; unread messages stay for a second consumer', async () => {
    const prefix = `s${randomBytes(3).toString('hex')}:`;
    const c = worker({
      PREFIX: prefix,
      TYPE: 'job',
      GROUP: 'g',
      HANDLE_MS: '800',
      MAX_IN_FLIGHT: '2',
      BATCH: '2',
    });
    await c.ready();
    const pub = await publisher(prefix);
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) ids.push(await pub.publish('job', { i }));
    await until('two handlers started', () => c.ids('start').length === 2);
    c.kill('SIGTERM');
    const exit = await c.child.exited;
    expect(exit.code).toBe(0);
    const started = c.ids('start');
    expect(started).toHaveLength(2);
    expect(c.ids('done')).toEqual(started);
    expect(c.lines().find((l) => l.event === 'drained')).toMatchObject({ completed: true, in_flight: 0 });
    // Acknowledged, and the consumer (holding nothing) was removed from the group.
    expect(await pendingCount(`${prefix}job`, 'g')).toBe(0);
    expect((await redis.admin.xinfo('CONSUMERS', `${prefix}job`, 'g')) as unknown[]).toHaveLength(0);

    const second = worker({ PREFIX: prefix, TYPE: 'job', GROUP: 'g' });
    await second.ready();
    await until('the eight unread handled by the second consumer', () => second.ids('done').length === 8);
    expect(new Set([...started, ...second.ids('done')])).toEqual(new Set(ids));
  });

  it('a correlation id published in this process appears in the handler log of another process', async () => {
    const prefix = `c${randomBytes(3).toString('hex')}:`;
    const w = worker({ PREFIX: prefix, TYPE: 'ctx', GROUP: 'g' });
    await w.ready();
    const pub = await publisher(prefix);
    const correlationId = `corr-${randomBytes(6).toString('hex')}`;
    // Published from inside a request-like context: the propagator injects the ambient id.
    const id = await runWithCorrelation(() => pub.publish('ctx', { hello: 'world' }), correlationId);
    const line = await until('the handler log line', () =>
      w.lines().find((l) => l.msg === 'handled message' && l.message_id === id),
    );
    expect(line.correlation_id).toBe(correlationId);
    const entries = (await redis.admin.xrange(`${prefix}ctx`, '-', '+')) as [string, string[]][];
    const headers = JSON.parse(entries[0][1][entries[0][1].indexOf('h') + 1]) as Record<string, string>;
    expect(headers['x-correlation-id']).toBe(correlationId);
  });
});
