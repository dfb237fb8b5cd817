import { until } from '../../../../apps/mira/test/support/poll';
import { BrokerError } from '../broker.error';
import type { BrokerMessage } from '../broker.interface';
import { encodeEntry } from './redis.codec';
import { recordingObserver, type RedisParts, useRedisServer } from './redis.testing';

describe('RedisConsumer (real redis-server)', () => {
  const redis = useRedisServer();

  const publish = (p: RedisParts, type: string, data: unknown, headers?: Record<string, string>) =>
    redis.admin.xadd(p.rt.options.streamPrefix + type, '*', ...encodeEntry(headers, JSON.stringify(data)));
  const pendingOf = async (p: RedisParts, type: string, group: string) =>
    ((await redis.admin.xpending(p.rt.options.streamPrefix + type, group)) as [number])[0];

  it('reads from its group, runs the handler and acknowledges only after it succeeded', async () => {
    const observer = recordingObserver();
    const p = await redis.parts({ observers: [observer] });
    const seen: BrokerMessage[] = [];
    const c = await p.consumer(['job'], (m) => void seen.push(m), 'workers');
    c.startReading();
    const entryId = await publish(p, 'job', { n: 1 }, { 'x-correlation-id': 'abc' });
    await until(() => p.rt.counters.acked === 1, 'the ack');
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ id: `job:${entryId}`, type: 'job', data: { n: 1 } });
    expect(seen[0].headers).toEqual({ 'x-correlation-id': 'abc' });
    expect(await pendingOf(p, 'job', 'workers')).toBe(0);
    expect(c.held.size).toBe(0);
    expect(p.rt.counters).toMatchObject({ delivered: 1, failed: 0, in_flight: 0 });
    expect(observer.events).toEqual(['delivered job workers']);
  });

  it('retries a failing handler with its attempt recorded in Redis, then dead-letters it', async () => {
    const observer = recordingObserver();
    const p = await redis.parts({ observers: [observer], maxAttempts: 3 });
    const counts: number[] = [];
    const c = await p.consumer(
      ['flaky'],
      async () => {
        // Redis' delivery counter (XCLAIM RETRYCOUNT) follows the attempts.
        const [row] = (await redis.admin.xpending(p.rt.options.streamPrefix + 'flaky', 'g', '-', '+', 1)) as [
          string,
          string,
          number,
          number,
        ][];
        counts.push(Number(row[3]));
        throw new Error('always broken');
      },
      'g',
    );
    c.startReading();
    const entryId = await publish(p, 'flaky', { n: 2 });
    await until(() => p.rt.counters.dead_lettered === 1, 'the dead letter');
    expect(counts).toEqual([1, 2, 3]);
    expect(p.rt.counters).toMatchObject({ failed: 3, retried: 2, delivered: 0 });
    expect(observer.events).toEqual([
      'failed flaky g',
      'retried flaky g 2',
      'failed flaky g',
      'retried flaky g 3',
      'failed flaky g',
      'dead-lettered flaky g',
    ]);
    const [dead] = await p.deadLetters.list();
    expect(dead).toMatchObject({ id: `flaky:${entryId}`, attempts: 3, error: 'always broken', group: 'g' });
    expect(await pendingOf(p, 'flaky', 'g')).toBe(0);
    expect(c.held.size).toBe(0);
  });

  it('does not count a failure caused by an unreachable dependency as an attempt', async () => {
    const p = await redis.parts({ maxAttempts: 1 });
    let runs = 0;
    const c = await p.consumer(['outage'], () => {
      if (++runs < 3) throw new BrokerError('BROKER_UNAVAILABLE', 'state store down', true);
    });
    c.startReading();
    await publish(p, 'outage', {});
    await until(() => p.rt.counters.acked === 1, 'the ack after the outage');
    // maxAttempts 1: had the outages counted, the message would have been dead-lettered.
    expect(runs).toBe(3);
    expect(p.rt.counters).toMatchObject({ failed: 0, retried: 0, dead_lettered: 0, delivered: 1 });
  });

  it('holds at most maxInFlight entries; the rest wait in the stream', async () => {
    const p = await redis.parts({ maxInFlight: 2, batchSize: 10 });
    const release: (() => void)[] = [];
    const c = await p.consumer(['slow'], () => new Promise<void>((r) => release.push(r)), 'g');
    c.startReading();
    for (let i = 0; i < 5; i++) await publish(p, 'slow', { i });
    await until(() => release.length === 2, 'two running handlers');
    expect(c.held.size).toBe(2);
    expect(c.running).toBe(2);
    const [group] = (await redis.admin.xinfo('GROUPS', p.rt.options.streamPrefix + 'slow')) as string[][];
    expect(group[group.indexOf('lag') + 1]).toBe(3);
    while (p.rt.counters.acked < 5) {
      release.splice(0).forEach((r) => r());
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(p.rt.counters.delivered).toBe(5);
  });

  it('dead-letters what it cannot decode, and drops entries trimmed away while pending', async () => {
    const p = await redis.parts();
    const ran: unknown[] = [];
    const c = await p.consumer(['mixed'], (m) => void ran.push(m.data), 'g');
    const stream = p.rt.options.streamPrefix + 'mixed';
    const bad = (await redis.admin.xadd(stream, '*', 'd', '{not json'))!;
    c.accept(stream, [[bad, ['d', '{not json']]], 1);
    c.accept(stream, [['1-1', null]], 1);
    await until(() => p.rt.counters.dead_lettered === 1, 'the dead letter');
    const [dead] = await p.deadLetters.list();
    expect(dead).toMatchObject({ id: `mixed:${bad}`, data: '{not json', attempts: 1 });
    expect(p.rt.counters.trimmed).toBe(1);
    expect(ran).toEqual([]);
    expect(c.held.size).toBe(0);
  });

  it('an entry delivered more often than maxAttempts is dead-lettered without running', async () => {
    const p = await redis.parts({ maxAttempts: 2 });
    let runs = 0;
    const c = await p.consumer(['tired'], () => void runs++, 'g');
    const stream = p.rt.options.streamPrefix + 'tired';
    const id = (await redis.admin.xadd(stream, '*', ...encodeEntry(undefined, '1')))!;
    c.accept(stream, [[id, encodeEntry(undefined, '1')]], new Map([[id, 3]]));
    await until(() => p.rt.counters.dead_lettered === 1, 'the dead letter');
    expect(runs).toBe(0);
    const [dead] = await p.deadLetters.list();
    expect(dead.error).toContain('delivered 2 time(s) without being acknowledged');
  });

  it('stops reading on request: later messages stay in the stream for another consumer', async () => {
    const p = await redis.parts();
    let runs = 0;
    const c = await p.consumer(['later'], () => void runs++, 'g');
    c.startReading();
    await publish(p, 'later', 1);
    await until(() => p.rt.counters.acked === 1, 'the first ack');
    await c.stopReading();
    expect(c.reading).toBe(false);
    await publish(p, 'later', 2);
    const unread = (await redis.admin.xreadgroup(
      'GROUP',
      'g',
      'other',
      'STREAMS',
      p.rt.options.streamPrefix + 'later',
      '>',
    )) as [string, unknown[]][];
    expect(unread[0][1]).toHaveLength(1);
    expect(runs).toBe(1);
  });

  it('recreates a group that vanished (Redis lost its data) from the start of its stream', async () => {
    const p = await redis.parts();
    const seen: unknown[] = [];
    const c = await p.consumer(['lost'], (m) => void seen.push(m.data), 'g');
    c.startReading();
    await redis.admin.del(p.rt.options.streamPrefix + 'lost');
    await publish(p, 'lost', 'after the loss');
    await until(() => seen.length === 1, 'the message published after the loss');
    expect(seen).toEqual(['after the loss']);
  });

  it('retire removes an ephemeral group, and a named consumer only when it holds nothing', async () => {
    const p = await redis.parts();
    const mine = await p.consumer(['gone'], () => undefined);
    const stream = p.rt.options.streamPrefix + 'gone';
    expect(await redis.admin.xinfo('GROUPS', stream)).toHaveLength(1);
    await mine.retire();
    expect(await redis.admin.xinfo('GROUPS', stream)).toHaveLength(0);

    const named = await p.consumer(['kept'], () => undefined, 'shared');
    const kept = p.rt.options.streamPrefix + 'kept';
    await publish(p, 'kept', 1);
    await redis.admin.xreadgroup('GROUP', 'shared', named.name, 'STREAMS', kept, '>');
    await named.retire();
    const consumers = (await redis.admin.xinfo('CONSUMERS', kept, 'shared')) as unknown[];
    expect(consumers).toHaveLength(1); // its pending entry stays for another replica to reclaim
    await redis.admin.xack(
      kept,
      'shared',
      ((await redis.admin.xpending(kept, 'shared', '-', '+', 1)) as string[][])[0][0],
    );
    await named.retire();
    expect(await redis.admin.xinfo('CONSUMERS', kept, 'shared')).toHaveLength(0);
  });
});
