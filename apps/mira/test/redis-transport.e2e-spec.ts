import { randomBytes } from 'node:crypto';
import {
  BrokerError,
  RedisTransport,
  redisTransportOptions,
  type BrokerContextPropagator,
  type BrokerMessage,
  type RedisTransportOptions,
} from '@mira/broker';
import { miraConfigSchema } from '@mira/config';
import { startRedisServer, useRedisServer } from './support/redis-server';
import { until as poll } from './support/poll';

// Label first here: reads better in these specs (`until('all acked', ...)`).
const until = <T>(what: string, check: () => T | Promise<T>, timeoutMs = 15000) =>
  poll(check, what, timeoutMs);

describe('Redis Streams transport (real redis-server)', () => {
  const redis = useRedisServer();
  const open: RedisTransport[] = [];
  redis.onCleanup(() => Promise.all(open.map((t) => t.stop().catch(() => undefined))));

  /** A transport on a prefix of its own (tests never see each other's streams). */
  async function transport(prefix: string, extra: Partial<RedisTransportOptions> = {}, url = redis.url) {
    const config = miraConfigSchema.parse({
      broker: {
        redis: {
          url,
          stream_prefix: prefix,
          visibility_timeout_ms: 1000,
          block_ms: 200,
          retry_base_ms: 10,
          retry_max_ms: 50,
        },
      },
    });
    const t = new RedisTransport({ ...redisTransportOptions(config.broker), ...extra });
    open.push(t);
    await t.start();
    return t;
  }
  const prefix = () => `t${randomBytes(3).toString('hex')}:`;

  it('fans out to two subscriptions (each group gets every message)', async () => {
    const p = prefix();
    const t = await transport(p);
    const a: unknown[] = [];
    const b: unknown[] = [];
    await t.subscribe('evt', (m) => void a.push(m.data), { group: 'a' });
    await t.subscribe('evt', (m) => void b.push(m.data), { group: 'b' });
    for (let i = 0; i < 20; i++) await t.publish('evt', { i });
    await until('both groups to get 20', () => a.length === 20 && b.length === 20);
    expect(a).toEqual(b);
    expect(a).toEqual(Array.from({ length: 20 }, (_, i) => ({ i })));
    await until(
      'nothing pending',
      async () => ((await redis.admin.xpending(`${p}evt`, 'a')) as [number])[0] === 0,
    );
  });

  it('subscribes through a dropped command connection: it waits for the reconnect instead of failing', async () => {
    const p = prefix();
    const t = await transport(p);
    // As after a stalled event loop outlasted the socket timeout: the server drops the connection.
    const clients = (await redis.admin.call('CLIENT', 'LIST')) as string;
    const line = clients.split('\n').find((l) => l.includes(` name=mira-cmd-${t.consumerName} `))!;
    await redis.admin.call('CLIENT', 'KILL', 'ID', /\bid=(\d+)/.exec(line)![1]);
    const got: unknown[] = [];
    await t.subscribe('blip', (m) => void got.push(m.data), { group: 'g' });
    await t.publish('blip', { n: 1 });
    await until('the message after the reconnect', () => got.length === 1);
    expect(got).toEqual([{ n: 1 }]);
    expect(await redis.admin.xinfo('GROUPS', `${p}blip`)).toHaveLength(1);
  });

  it('load-balances one subscription group across two consumers (two transports)', async () => {
    const p = prefix();
    const one = await transport(p);
    const two = await transport(p);
    const seen = new Map<string, string>();
    const slow = () => new Promise((r) => setTimeout(r, 5));
    await one.subscribe('job', async (m) => (seen.set(m.id, 'one'), slow()), { group: 'workers' });
    await two.subscribe('job', async (m) => (seen.set(m.id, 'two'), slow()), { group: 'workers' });
    expect(one.consumerName).not.toBe(two.consumerName);
    const ids = [];
    for (let i = 0; i < 200; i++) ids.push(await one.publish('job', { i }));
    await until('200 handled', () => seen.size === 200);
    const byOne = [...seen.values()].filter((v) => v === 'one').length;
    // Both competed (each message went to exactly one consumer of the group).
    expect(byOne).toBeGreaterThan(0);
    expect(byOne).toBeLessThan(200);
    expect(new Set(ids)).toEqual(new Set(seen.keys()));
    const consumers = (await redis.admin.xinfo('CONSUMERS', `${p}job`, 'workers')) as unknown[];
    expect(consumers).toHaveLength(2);
  });

  it('retries a failing handler with backoff, then dead-letters it with error, attempts and headers', async () => {
    const p = prefix();
    const t = await transport(p, { maxAttempts: 3 });
    const attempts: number[] = [];
    await t.subscribe(
      'flaky',
      () => {
        attempts.push(Date.now());
        throw new Error('downstream said no');
      },
      { group: 'g' },
    );
    let ok = 0;
    await t.subscribe('flaky', () => void ok++, { group: 'other' });
    const id = await t.publish('flaky', { order: 7 }, { 'x-correlation-id': 'corr-dlq-1', tenant: 'acme' });
    const dead = await until('a dead letter', async () => (await t.deadLetters()).find((d) => d.id === id));
    expect(attempts).toHaveLength(3);
    expect(dead).toMatchObject({
      id,
      type: 'flaky',
      group: 'g',
      error: 'downstream said no',
      attempts: 3,
      headers: { 'x-correlation-id': 'corr-dlq-1', tenant: 'acme' },
    });
    expect(JSON.parse(dead.data)).toEqual({ order: 7 });
    // Acknowledged on the source: nothing pending for the failing group; the other group was unaffected.
    await until(
      'source acked',
      async () => ((await redis.admin.xpending(`${p}flaky`, 'g')) as [number])[0] === 0,
    );
    expect(ok).toBe(1);
    expect(t.stats()).toMatchObject({ dead_lettered: 1, failed: 3, retried: 2 });
  });

  it('succeeds on a retry without dead-lettering', async () => {
    const p = prefix();
    const t = await transport(p);
    let calls = 0;
    await t.subscribe('once-flaky', () => {
      if (++calls < 3) throw new Error('transient');
    });
    await t.publish('once-flaky', {});
    await until('third attempt', () => calls === 3 && t.stats().acked === 1);
    expect(await t.deadLetters()).toHaveLength(0);
  });

  it('restores headers around the handler through the propagator (inject at publish, run at delivery)', async () => {
    const p = prefix();
    const runs: Record<string, string>[] = [];
    let ambient: string | undefined;
    const propagator: BrokerContextPropagator = {
      inject: (h) => ({ ...h, 'x-correlation-id': h['x-correlation-id'] ?? 'from-context' }),
      run: (h, fn) => {
        runs.push({ ...h });
        ambient = h['x-correlation-id'];
        try {
          return fn();
        } finally {
          ambient = undefined;
        }
      },
    };
    const t = await transport(p, { propagator });
    const seen: [string | undefined, BrokerMessage][] = [];
    await t.subscribe('ctx', (m) => void seen.push([ambient, m]));
    await t.publish('ctx', { a: 1 });
    await t.publish('ctx', { a: 2 }, { 'x-correlation-id': 'explicit-1' });
    await until('two deliveries', () => seen.length === 2);
    expect(seen.map(([amb]) => amb)).toEqual(['from-context', 'explicit-1']);
    expect(seen[1][1].headers).toEqual({ 'x-correlation-id': 'explicit-1' });
    expect(runs).toEqual([{ 'x-correlation-id': 'from-context' }, { 'x-correlation-id': 'explicit-1' }]);
    expect(new Date(seen[0][1].timestamp).toISOString()).toBe(seen[0][1].timestamp);
  });

  it('reclaims entries of a consumer that stopped answering after the visibility timeout', async () => {
    const p = prefix();
    const t = await transport(p);
    // A consumer that read two entries and died (never acks): a raw XREADGROUP.
    await redis.admin.xgroup('CREATE', `${p}orphan`, 'g', '$', 'MKSTREAM');
    await t.publish('orphan', { n: 1 });
    await t.publish('orphan', { n: 2 });
    await redis.admin.xreadgroup('GROUP', 'g', 'dead-consumer', 'COUNT', 10, 'STREAMS', `${p}orphan`, '>');
    const got: unknown[] = [];
    await t.subscribe('orphan', (m) => void got.push(m.data), { group: 'g' });
    await until('both reclaimed', () => got.length === 2);
    expect(got).toEqual([{ n: 1 }, { n: 2 }]);
    expect(t.stats().reclaimed).toBe(2);
    await until(
      'nothing pending',
      async () => ((await redis.admin.xpending(`${p}orphan`, 'g')) as [number])[0] === 0,
    );
  });

  it('extends the claim of a slow handler so another consumer does not steal it', async () => {
    const p = prefix();
    const a = await transport(p);
    const b = await transport(p);
    const runs: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    await a.subscribe('slow', async () => (runs.push('a'), gate), { group: 'g' });
    await a.publish('slow', {});
    await until('a started', () => runs.length === 1);
    await b.subscribe('slow', () => void runs.push('b'), { group: 'g' });
    // Three visibility timeouts with b reclaiming every half timeout: a keeps its claim.
    await new Promise((r) => setTimeout(r, 3000));
    release();
    await until('acked', async () => ((await redis.admin.xpending(`${p}slow`, 'g')) as [number])[0] === 0);
    expect(runs).toEqual(['a']);
    expect(b.stats().reclaimed).toBe(0);
  });

  it('trims streams approximately to maxlen', async () => {
    const p = prefix();
    const t = await transport(p, { maxlen: 100 });
    for (let i = 0; i < 1000; i++) await t.publish('trim', { i });
    const len = await redis.admin.xlen(`${p}trim`);
    expect(len).toBeLessThan(1000);
    expect(len).toBeGreaterThanOrEqual(100);
  });

  it('idempotency helper: the first claim of a key wins until its TTL expires', async () => {
    const p = prefix();
    const a = await transport(p);
    const b = await transport(p);
    expect(await a.idempotency.claim('delivery-1', 300)).toBe(true);
    expect(await b.idempotency.claim('delivery-1', 300)).toBe(false);
    expect(await a.idempotency.claim('delivery-2', 300)).toBe(true);
    expect(await redis.admin.pttl(`${p}idempotency:delivery-1`)).toBeGreaterThan(0);
    await until('ttl expiry', async () => (await redis.admin.exists(`${p}idempotency:delivery-1`)) === 0);
    expect(await b.idempotency.claim('delivery-1', 300)).toBe(true);
    await b.idempotency.release('delivery-1');
    expect(await a.idempotency.claim('delivery-1', 300)).toBe(true);
    await expect(a.idempotency.claim('', 10)).rejects.toMatchObject({ code: 'BROKER_INVALID_MESSAGE' });
  });

  it('reconnects after CLIENT KILL and carries on consuming', async () => {
    const p = prefix();
    const t = await transport(p);
    const got: number[] = [];
    await t.subscribe('live', (m) => void got.push((m.data as { n: number }).n), { group: 'g' });
    for (let n = 0; n < 5; n++) await t.publish('live', { n });
    await until('first five', () => got.length === 5);
    const killed = Number(await redis.admin.call('CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'yes'));
    expect(killed).toBeGreaterThanOrEqual(2); // at least the command and the reader connection
    // Publishing through the admin connection while the transport reconnects.
    for (let n = 5; n < 10; n++)
      await redis.admin.xadd(
        `${p}live`,
        '*',
        'i',
        `raw-${n}`,
        't',
        Date.now(),
        'h',
        '{}',
        'd',
        JSON.stringify({ n }),
      );
    await until('reconnected', async () => (await t.health()).connected);
    for (let n = 10; n < 15; n++) await t.publish('live', { n });
    await until('all fifteen', () => got.length >= 15);
    expect(new Set(got)).toEqual(new Set(Array.from({ length: 15 }, (_, i) => i)));
    await until(
      'nothing pending',
      async () => ((await redis.admin.xpending(`${p}live`, 'g')) as [number])[0] === 0,
    );
  });

  it('publish during an outage rejects with a retryable BROKER_UNAVAILABLE; health turns unhealthy, then recovers', async () => {
    const own = await startRedisServer();
    try {
      const p = prefix();
      const t = await transport(p, {}, own.url);
      const got: unknown[] = [];
      await t.subscribe('o', (m) => void got.push(m.data), { group: 'g' });
      await t.publish('o', { before: true });
      await until('first delivery', () => got.length === 1);
      await own.down();
      const err = await t.publish('o', { during: true }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BrokerError);
      expect(err).toMatchObject({ code: 'BROKER_UNAVAILABLE', retryable: true });
      expect((err as Error).message).toMatch(/not published/);
      const h = await t.health();
      expect(h).toMatchObject({ status: 'unhealthy', connected: false });
      expect(h.reason).toMatch(/unreachable/);
      await own.restart();
      await until('healthy again', async () => (await t.health()).status === 'healthy');
      // Redis came back empty (no persistence): the group is recreated and consumption resumes.
      // Until the group is recreated (at `$`) a message has no group to reach, so publish until one arrives.
      await until('delivery after restart', async () => {
        await t.publish('o', { after: true }).catch(() => undefined);
        return got.length >= 2;
      });
      expect(got.at(-1)).toEqual({ after: true });
    } finally {
      await own.stop();
    }
  });

  it('fails start clearly when Redis is unreachable, naming the key', async () => {
    const own = await startRedisServer();
    await own.stop();
    const err = await transport(prefix(), {}, own.url).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BrokerError);
    expect((err as Error).message).toMatch(/broker\.redis\.url/);
  });

  it('health reports lag and pending per group against the configured thresholds', async () => {
    const p = prefix();
    const limits = { lagDegraded: 0, lagUnhealthy: 0, pendingDegraded: 0, pendingUnhealthy: 0 };
    const small = { maxInFlight: 2, batchSize: 2 };
    const a = await transport(p, { ...small, health: { ...limits, lagDegraded: 3 } });
    const b = await transport(p, { ...small, health: { ...limits, lagUnhealthy: 3, pendingDegraded: 1 } });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    await a.subscribe('h', () => gate, { group: 'ga' });
    await b.subscribe('h', () => gate, { group: 'gb' });
    expect(await a.health()).toMatchObject({ status: 'healthy', connected: true });
    for (let i = 0; i < 10; i++) await a.publish('h', { i });
    // Two in flight (pending) and eight unread (lag) per group.
    const group = async (t: RedisTransport) => {
      const h = await t.health();
      return { h, g: (h.details?.groups as { pending: number; lag: number }[])[0] };
    };
    await until('a: 2 pending, lag 8', async () => {
      const { g } = await group(a);
      return g?.pending === 2 && g.lag === 8;
    });
    const ha = await a.health();
    expect(ha.status).toBe('degraded');
    expect(ha.reason).toMatch(/lag 8, pending 2/);
    expect(ha.details).toMatchObject({ lag: 8, pending: 2 });
    await until('b: 2 pending, lag 8', async () => (await group(b)).g?.lag === 8);
    expect((await b.health()).status).toBe('unhealthy');
    release();
    await until('a drained the backlog', async () => (await a.health()).status === 'healthy');
    await until('b drained the backlog', async () => (await b.health()).status === 'healthy');
  });

  it('drain: in-flight handlers finish and are acked; unread messages stay for another consumer', async () => {
    const p = prefix();
    const a = await transport(p, { maxInFlight: 2, batchSize: 2 });
    const done: string[] = [];
    const started: string[] = [];
    await a.subscribe(
      'd',
      async (m) => {
        started.push(m.id);
        await new Promise((r) => setTimeout(r, 500));
        done.push(m.id);
      },
      { group: 'g' },
    );
    const ids = [];
    for (let i = 0; i < 10; i++) ids.push(await a.publish('d', { i }));
    await until('two started', () => started.length === 2);
    const result = await a.drain(10000);
    expect(result).toMatchObject({ completed: true, in_flight: 0, queued: 0 });
    expect(done).toEqual(started);
    expect(started).toHaveLength(2);
    expect(((await redis.admin.xpending(`${p}d`, 'g')) as [number])[0]).toBe(0);
    await a.stop();
    // The consumer held nothing any more, so it was deleted.
    expect((await redis.admin.xinfo('CONSUMERS', `${p}d`, 'g')) as unknown[]).toHaveLength(0);
    const b = await transport(p);
    const rest: string[] = [];
    await b.subscribe('d', (m) => void rest.push(m.id), { group: 'g' });
    await until('the 8 unread', () => rest.length === 8);
    expect(new Set([...started, ...rest])).toEqual(new Set(ids));
  });

  it('an unnamed subscription gets a group of its own, removed on unsubscribe', async () => {
    const p = prefix();
    const t = await transport(p);
    const got: unknown[] = [];
    const sub = await t.subscribe('eph', (m) => void got.push(m.data));
    await t.publish('eph', { x: 1 });
    await until('delivered', () => got.length === 1);
    expect((await redis.admin.xinfo('GROUPS', `${p}eph`)) as unknown[]).toHaveLength(1);
    await sub.unsubscribe();
    expect((await redis.admin.xinfo('GROUPS', `${p}eph`)) as unknown[]).toHaveLength(0);
  });

  it('rejects bad input clearly', async () => {
    const t = await transport(prefix());
    await expect(t.publish('', {})).rejects.toMatchObject({ code: 'BROKER_INVALID_MESSAGE' });
    await expect(t.publish('dead-letter', {})).rejects.toMatchObject({ code: 'BROKER_INVALID_MESSAGE' });
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    await expect(t.publish('x', circular)).rejects.toMatchObject({ code: 'BROKER_INVALID_MESSAGE' });
    await expect(t.subscribe([], () => undefined)).rejects.toMatchObject({ code: 'BROKER_INVALID_MESSAGE' });
  });
});
