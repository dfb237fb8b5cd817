import { until } from '../../../../apps/mira/test/support/poll';
import { decodeEntry, encodeEntry, RedisMessage } from './redis.codec';
import type { Delivery } from './redis.delivery';
import { recordingObserver, testOptions, useRedisServer } from './redis.testing';

describe('RedisDeadLetters (real redis-server)', () => {
  const redis = useRedisServer();

  /** One entry read into the group `g` by a consumer that holds it, as the consumer would. */
  async function held(extra: Parameters<typeof testOptions>[1] = {}) {
    const p = await redis.parts(extra);
    const c = await p.consumer(['order'], () => undefined, 'g');
    const stream = p.rt.options.streamPrefix + 'order';
    const entryId = (await redis.admin.xadd(
      stream,
      '*',
      ...encodeEntry({ 'x-correlation-id': 'c1' }, '{"total":3}'),
    ))!;
    await redis.admin.xreadgroup('GROUP', 'g', c.name, 'STREAMS', stream, '>');
    const message = decodeEntry('order', entryId, encodeEntry({ 'x-correlation-id': 'c1' }, '{"total":3}'));
    if (!(message instanceof RedisMessage)) throw new Error('test entry did not decode');
    const d: Delivery = {
      consumer: c,
      key: entryId,
      stream,
      entryId,
      type: 'order',
      message,
      attempts: 3,
      retryTimer: null,
    };
    c.held.set(d.key, d);
    const pending = async () => ((await redis.admin.xpending(stream, 'g')) as [number])[0];
    return { p, c, d, stream, entryId, pending };
  }

  it('moves the entry with its error, attempts, headers and data, acked at the source in one step', async () => {
    const observer = recordingObserver();
    const { p, c, d, entryId, pending } = await held({ observers: [observer] });
    c.startReading();
    await p.deadLetters.move(d, 'handler exploded');
    expect(await pending()).toBe(0);
    expect(c.held.size).toBe(0);
    expect(p.rt.counters.dead_lettered).toBe(1);
    expect(observer.events).toEqual(['dead-lettered order g']);
    const [dead] = await p.deadLetters.list();
    expect(dead).toMatchObject({
      id: `order:${entryId}`,
      type: 'order',
      group: 'g',
      error: 'handler exploded',
      attempts: 3,
      headers: { 'x-correlation-id': 'c1' },
      data: '{"total":3}',
    });
    expect(p.deadLetters.stream).toBe(`${p.rt.options.streamPrefix}dead-letter`);
  });

  it('stores an entry that could not be decoded as it was stored', async () => {
    const { p, c, d, pending } = await held();
    c.startReading();
    await p.deadLetters.move(d, 'bad JSON', { raw: '{oops', headers: { h: '1' }, id: 'order:raw', ts: '' });
    expect(await pending()).toBe(0);
    const [dead] = await p.deadLetters.list();
    expect(dead).toMatchObject({ id: 'order:raw', data: '{oops', headers: { h: '1' }, published_at: '' });
  });

  it('retries with backoff while Redis refuses, and lands once it accepts', async () => {
    const { p, c, d, pending } = await held();
    c.startReading();
    // A string where the dead-letter stream should be: XADD fails inside the transaction (WRONGTYPE).
    await redis.admin.set(p.deadLetters.stream, 'in the way');
    const warned = jest.spyOn(p.rt.log, 'warnOnce');
    const moved = p.deadLetters.move(d, 'x');
    await until(() => warned.mock.calls.some(([t]) => t.includes('Could not dead-letter')), 'a failed try');
    expect(await pending()).toBe(1); // nothing was acked without its dead letter
    await redis.admin.del(p.deadLetters.stream);
    await moved;
    expect(await pending()).toBe(0);
    expect(await p.deadLetters.list()).toHaveLength(1);
  });

  it('gives up when its consumer no longer reads: the entry stays pending for another replica', async () => {
    const { p, c, d, pending } = await held();
    await redis.admin.set(p.deadLetters.stream, 'in the way');
    await p.deadLetters.move(d, 'x'); // consumer not reading: one try only
    expect(await pending()).toBe(1);
    expect(c.held.size).toBe(1);
    expect(p.rt.counters.dead_lettered).toBe(0);
  });

  it('lists the newest first and survives headers that are not JSON', async () => {
    const { p } = await held();
    await redis.admin.xadd(p.deadLetters.stream, '*', 'id', 'a', 'attempts', '1', 'headers', 'nope');
    await redis.admin.xadd(p.deadLetters.stream, '*', 'id', 'b', 'attempts', '2', 'headers', '{}');
    const list = await p.deadLetters.list(10);
    expect(list.map((l) => [l.id, l.attempts, l.headers])).toEqual([
      ['b', 2, {}],
      ['a', 1, {}],
    ]);
    expect(await p.deadLetters.list(1)).toHaveLength(1);
  });
});
