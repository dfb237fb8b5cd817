import { until } from '../../../../apps/mira/test/support/poll';
import { RedisClaims } from './redis.claims';
import { encodeEntry } from './redis.codec';
import { recordingObserver, testOptions, useRedisServer } from './redis.testing';

describe('RedisClaims (real redis-server)', () => {
  const redis = useRedisServer();

  async function setup(extra: Parameters<typeof testOptions>[1] = {}) {
    const p = await redis.parts({ visibilityTimeoutMs: 300, ...extra });
    const claims = new RedisClaims(p.rt, p.connection, () => p.consumers);
    return { p, claims };
  }
  /** A consumer that reads `count` entries and then "dies" (never acks). */
  async function ghostRead(stream: string, group: string, count: number) {
    return redis.admin.xreadgroup('GROUP', group, 'ghost', 'COUNT', count, 'STREAMS', stream, '>');
  }
  const idleOf = async (stream: string, group: string) =>
    ((await redis.admin.xpending(stream, group, '-', '+', 10)) as [string, string, number, number][]).map(
      ([id, owner, idle, n]) => ({ id, owner, idle: Number(idle), n: Number(n) }),
    );

  it('reclaims entries a dead consumer left idle past the visibility timeout and runs them', async () => {
    const observer = recordingObserver();
    const { p, claims } = await setup({ observers: [observer] });
    const seen: unknown[] = [];
    const c = await p.consumer(['job'], (m) => void seen.push(m.data), 'g');
    const stream = p.rt.options.streamPrefix + 'job';
    for (let i = 0; i < 3; i++) await redis.admin.xadd(stream, '*', ...encodeEntry(undefined, String(i)));
    await ghostRead(stream, 'g', 3);
    // Reading from now on sees nothing new: only the reclaim can hand it those entries.
    c.startReading();
    await until(async () => (await idleOf(stream, 'g')).every((e) => e.idle >= 300), 'idle entries');
    await claims.reclaim();
    await until(() => p.rt.counters.acked === 3, 'the reclaimed entries acked');
    expect(seen.sort()).toEqual([0, 1, 2]);
    expect(p.rt.counters.reclaimed).toBe(3);
    expect(observer.events[0]).toBe('reclaimed job g 3');
  });

  it('a reclaimed entry past its attempts goes to the dead-letter stream, not to the handler', async () => {
    const { p, claims } = await setup({ maxAttempts: 1 });
    let runs = 0;
    const c = await p.consumer(['spent'], () => void runs++, 'g');
    const stream = p.rt.options.streamPrefix + 'spent';
    await redis.admin.xadd(stream, '*', ...encodeEntry(undefined, '1'));
    await ghostRead(stream, 'g', 1);
    c.startReading();
    await until(async () => (await idleOf(stream, 'g'))[0].idle >= 300, 'an idle entry');
    await claims.reclaim();
    await until(() => p.rt.counters.dead_lettered === 1, 'the dead letter');
    expect(runs).toBe(0);
    expect((await p.deadLetters.list())[0].error).toContain('delivered 1 time(s) without being acknowledged');
  });

  it('counts pending entries whose stream entry was trimmed away as trimmed', async () => {
    const { p, claims } = await setup();
    const c = await p.consumer(['trim'], () => undefined, 'g');
    const stream = p.rt.options.streamPrefix + 'trim';
    const id = (await redis.admin.xadd(stream, '*', ...encodeEntry(undefined, '1')))!;
    await ghostRead(stream, 'g', 1);
    await redis.admin.xdel(stream, id);
    c.startReading();
    await until(async () => (await idleOf(stream, 'g'))[0].idle >= 300, 'an idle entry');
    await claims.reclaim();
    expect(p.rt.counters.trimmed).toBe(1);
    expect(await idleOf(stream, 'g')).toEqual([]);
  });

  it('keeps the claim of a slow handler young, so another consumer cannot take it', async () => {
    const { p, claims } = await setup();
    let finish: () => void = () => undefined;
    const c = await p.consumer(['slow'], () => new Promise<void>((r) => (finish = r)), 'g');
    c.startReading();
    const stream = p.rt.options.streamPrefix + 'slow';
    await redis.admin.xadd(stream, '*', ...encodeEntry(undefined, '1'));
    await until(() => c.running === 1, 'the running handler');
    await until(async () => (await idleOf(stream, 'g'))[0].idle >= 100, 'some idle time');
    await claims.extend();
    const [entry] = await idleOf(stream, 'g');
    expect(entry.owner).toBe(c.name);
    expect(entry.idle).toBeLessThan(100);
    finish();
    await until(() => p.rt.counters.acked === 1, 'the ack');
  });

  it('start() runs extend and reclaim on timers, then the hook after each reclaim; stop() ends them', async () => {
    const { p, claims } = await setup();
    const c = await p.consumer(['timed'], () => undefined, 'g');
    const stream = p.rt.options.streamPrefix + 'timed';
    await redis.admin.xadd(stream, '*', ...encodeEntry(undefined, '1'));
    await ghostRead(stream, 'g', 1);
    c.startReading();
    let ticks = 0;
    claims.start(async () => void ticks++);
    await until(() => p.rt.counters.acked === 1, 'the entry reclaimed by the timer');
    claims.stop();
    const after = ticks;
    expect(after).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 400));
    expect(ticks).toBe(after);
  });
});
