import { encodeEntry } from './redis.codec';
import { RedisHealth } from './redis.health';
import type { RedisBrokerStats, RedisHealthThresholds } from './redis.interface';
import { useRedisServer } from './redis.testing';

describe('RedisHealth (real redis-server)', () => {
  const redis = useRedisServer();

  const off: RedisHealthThresholds = {
    lagDegraded: 0,
    lagUnhealthy: 0,
    pendingDegraded: 0,
    pendingUnhealthy: 0,
  };

  /** A reading consumer of `work` in group `g`, with `lag` unread and `pending` read-but-unacked entries. */
  async function behind(lag: number, pending: number, limits: Partial<RedisHealthThresholds> = {}) {
    // maxInFlight 0: it reads (its groups count) but takes nothing while we look.
    const p = await redis.parts({ health: { ...off, ...limits }, maxInFlight: 0 });
    const c = await p.consumer(['work'], () => undefined, 'g');
    const stream = p.rt.options.streamPrefix + 'work';
    for (let i = 0; i < lag + pending; i++)
      await redis.admin.xadd(stream, '*', ...encodeEntry(undefined, '1'));
    if (pending)
      await redis.admin.xreadgroup('GROUP', 'g', 'other', 'COUNT', pending, 'STREAMS', stream, '>');
    c.startReading();
    const health = new RedisHealth(p.rt, p.connection, () => p.consumers);
    const stats = (): RedisBrokerStats => ({ ...p.rt.counters, queued: 0, ...health.totals() });
    return { p, health, stats, stream };
  }

  it('knows no totals before the first poll, then sums lag and pending over its groups', async () => {
    const { health } = await behind(4, 2);
    expect(health.totals()).toEqual({ lag: null, pending: null });
    await health.poll();
    expect(health.totals()).toEqual({ lag: 4, pending: 2 });
  });

  it('answers healthy with the groups in the details', async () => {
    const { health, stats } = await behind(1, 0, { lagDegraded: 5 });
    const h = await health.check(stats, 'me');
    expect(h).toMatchObject({ status: 'healthy', connected: true, transport: 'redis' });
    expect(h.reason).toBeUndefined();
    expect(h.details).toMatchObject({
      lag: 1,
      pending: 0,
      accepting: true,
      consumer: 'me',
      groups: [{ type: 'work', group: 'g', lag: 1, pending: 0, consumers: 0 }],
    });
  });

  it('judges lag and pending against the thresholds (0 disables one)', async () => {
    const degraded = await behind(3, 0, { lagDegraded: 3, lagUnhealthy: 10 });
    expect(await degraded.health.check(degraded.stats, 'me')).toMatchObject({
      status: 'degraded',
      reason: 'consumer groups behind: lag 3, pending 0 (degraded at lag 3, pending off)',
    });
    const unhealthy = await behind(0, 2, { pendingUnhealthy: 2 });
    expect(await unhealthy.health.check(unhealthy.stats, 'me')).toMatchObject({
      status: 'unhealthy',
      connected: true,
      reason: 'consumer groups behind: lag 0, pending 2 (unhealthy at lag off, pending 2)',
    });
  });

  it('a group that went missing (Redis lost its data) is unhealthy until recreated', async () => {
    const { health, stats, stream } = await behind(0, 0);
    await redis.admin.xgroup('DESTROY', stream, 'g');
    const h = await health.check(stats, 'me');
    expect(h.status).toBe('unhealthy');
    expect(h.reason).toContain(
      `consumer group(s) missing (Redis lost its data?), being recreated: ${stream} g`,
    );
  });

  it('pollIfDue polls at most once a second', async () => {
    const { health, stream } = await behind(1, 0);
    await health.pollIfDue();
    expect(health.totals().lag).toBe(1);
    await redis.admin.xadd(stream, '*', ...encodeEntry(undefined, '1'));
    await health.pollIfDue();
    expect(health.totals().lag).toBe(1); // the last poll is younger than a second
    await health.poll();
    expect(health.totals().lag).toBe(2);
  });

  it('is unhealthy without a connection, naming its state, never the password', async () => {
    const p = await redis.parts({ url: redis.url.replace('redis://', 'redis://:s3cret@') });
    const health = new RedisHealth(p.rt, p.connection, () => p.consumers);
    const stats = (): RedisBrokerStats => ({ ...p.rt.counters, queued: 0, ...health.totals() });
    await p.close();
    const h = await health.check(stats, 'me');
    expect(h).toMatchObject({ status: 'unhealthy', connected: false });
    expect(h.reason).toMatch(
      /^Redis unreachable at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+ \(connection stopped\)/,
    );
    expect(JSON.stringify(h)).not.toContain('s3cret');
  });
});
