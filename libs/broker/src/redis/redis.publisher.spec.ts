import { BrokerError } from '../broker.error';
import { decodeEntry } from './redis.codec';
import { RedisPublisher } from './redis.publisher';
import { recordingObserver, testOptions, useRedisServer } from './redis.testing';

describe('RedisPublisher (real redis-server)', () => {
  const redis = useRedisServer();

  async function publisher(extra: Parameters<typeof testOptions>[1] = {}) {
    const p = await redis.parts(extra);
    return { p, pub: new RedisPublisher(p.rt, p.connection) };
  }

  it('XADDs the message to the stream of its type and answers <type>:<entry id>', async () => {
    const observer = recordingObserver();
    const { p, pub } = await publisher({ observers: [observer] });
    const id = await pub.publish('plan.made', { a: 1 }, { 'x-correlation-id': 'c' });
    const [[entryId, fields]] = (await redis.admin.xrange(pub.streamOf('plan.made'), '-', '+')) as [
      string,
      string[],
    ][];
    expect(id).toBe(`plan.made:${entryId}`);
    expect(decodeEntry('plan.made', entryId, fields)).toMatchObject({
      data: { a: 1 },
      headers: { 'x-correlation-id': 'c' },
    });
    expect(p.rt.counters.published).toBe(1);
    expect(observer.events).toEqual(['published plan.made']);
  });

  it('publishes at most once per idempotency key: a repeat answers the first id', async () => {
    const { pub } = await publisher();
    const first = await pub.publish('once', 1, undefined, { idempotencyKey: 'k1' });
    expect(await pub.publish('once', 2, undefined, { idempotencyKey: 'k1' })).toBe(first);
    expect(await redis.admin.xlen(pub.streamOf('once'))).toBe(1);
    await expect(pub.publish('once', 3, undefined, { idempotencyKey: '' })).rejects.toMatchObject({
      code: 'BROKER_INVALID_MESSAGE',
    });
  });

  it('refuses bad types, the dead-letter type and data that is not JSON', async () => {
    const { pub } = await publisher();
    for (const type of ['', 'a:b', 'has space', 'x'.repeat(201)])
      await expect(pub.publish(type, 1)).rejects.toMatchObject({ code: 'BROKER_INVALID_MESSAGE' });
    await expect(pub.publish('dead-letter', 1)).rejects.toThrow('reserved for the dead-letter stream');
    const loop: Record<string, unknown> = {};
    loop.self = loop;
    await expect(pub.publish('t', loop)).rejects.toThrow('not JSON-serialisable');
  });

  it('says whether a failed publish may have been stored', async () => {
    const { p, pub } = await publisher();
    // An error reply that will never change: not retryable.
    await redis.admin.set(pub.streamOf('taken'), 'a string');
    const refused = (await pub.publish('taken', 1).catch((e: unknown) => e)) as BrokerError;
    expect(refused).toMatchObject({ code: 'BROKER_UNAVAILABLE', retryable: false });
    expect(refused.message).toContain('it was not published');
    // No connection: nothing was sent, retry later.
    await p.connection.close();
    await expect(pub.publish('t', 1)).rejects.toMatchObject({ code: 'BROKER_UNAVAILABLE', retryable: true });
    // Shutting down: refused before anything else.
    p.rt.lifecycle.accepting = false;
    await expect(pub.publish('t', 1)).rejects.toMatchObject({ code: 'BROKER_STOPPED', retryable: true });
  });
});
