import { REPLY_TO_HEADER } from '../broker.constants';
import type { BrokerMessage } from '../broker.interface';
import { MemoryTransport } from './memory.transport';
import {
  freshTransport,
  waitFor,
  turns,
  gate,
  gatedRecorder,
  rejection,
  stopTransport,
} from './memory.transport.testing';

// Queue limits (BROKER_QUEUE_FULL, a live queue size), drain() and stop().
describe('MemoryTransport', () => {
  let broker: MemoryTransport;
  let warn: jest.SpyInstance;
  beforeEach(() => ({ broker, warn } = freshTransport()));
  afterEach(() => stopTransport(broker));

  it('refuses beyond the queue size with BROKER_QUEUE_FULL and loses nothing it accepted', async () => {
    broker = new MemoryTransport({ queueSize: 3, maxInFlight: 1 });
    const { g, got } = await gatedRecorder(broker);
    await broker.publish('t', 0);
    await waitFor(() => broker.stats().in_flight === 1, 'first message in flight');
    // The handler holds the only in-flight slot, so these wait in the queue.
    for (const n of [1, 2, 3]) await broker.publish('t', n);
    expect(broker.stats().queued).toBe(3);

    const err = await rejection(broker.publish('t', 4));
    expect(err.code).toBe('BROKER_QUEUE_FULL');
    expect(err.retryable).toBe(true);
    expect(err.message).toContain('raise broker.queue_size');
    expect(broker.stats().published).toBe(4);

    g.open();
    await waitFor(() => got.length === 4, 'every accepted message');
    expect(got).toEqual([0, 1, 2, 3]);
    // Room again once the queue drained.
    await broker.publish('t', 5);
    await waitFor(() => got.length === 5, 'the next message');
  });

  it('refuses when messages are published faster than the next dispatch turn', async () => {
    broker = new MemoryTransport({ queueSize: 2 });
    const got: number[] = [];
    await broker.subscribe('t', (m: BrokerMessage<number>) => void got.push(m.data));
    const accepted = [broker.publish('t', 1), broker.publish('t', 2)];
    const refused = broker.publish('t', 3);
    expect((await rejection(refused)).code).toBe('BROKER_QUEUE_FULL');
    await Promise.all(accepted);
    await waitFor(() => got.length === 2, 'deliveries');
    expect(got).toEqual([1, 2]);
  });

  it('applies a new queue size live and keeps what is already queued', async () => {
    broker = new MemoryTransport({ queueSize: 1, maxInFlight: 1 });
    const { g, got } = await gatedRecorder(broker);
    await broker.publish('t', 0);
    await waitFor(() => broker.stats().in_flight === 1, 'in flight');
    await broker.publish('t', 1);
    expect((await rejection(broker.publish('t', 2))).code).toBe('BROKER_QUEUE_FULL');

    broker.setQueueSize(3);
    expect(broker.queueSize).toBe(3);
    await broker.publish('t', 2);
    await broker.publish('t', 3);
    expect((await rejection(broker.publish('t', 4))).code).toBe('BROKER_QUEUE_FULL');

    broker.setQueueSize(1);
    expect(broker.stats().queued).toBe(3);
    expect((await rejection(broker.publish('t', 4))).code).toBe('BROKER_QUEUE_FULL');

    g.open();
    await waitFor(() => got.length === 4, 'all accepted messages');
    expect(got).toEqual([0, 1, 2, 3]);
  });

  it('drain() waits for in-flight async handlers and refuses new publishes', async () => {
    const g = gate();
    let finished = 0;
    await broker.subscribe('t', async () => {
      await g.promise;
      finished++;
    });
    await broker.publish('t', 1);
    await broker.publish('t', 2);
    await waitFor(() => broker.stats().in_flight === 2, 'two in flight');

    let drained: unknown = null;
    const draining = broker.drain(60_000).then((r) => (drained = r));
    await turns();
    expect(drained).toBeNull();

    const err = await rejection(broker.publish('t', 3));
    expect(err.code).toBe('BROKER_STOPPED');
    expect(err.retryable).toBe(true);

    g.open();
    await draining;
    expect(drained).toEqual({ completed: true, in_flight: 0, queued: 0 });
    expect(finished).toBe(2);
    expect(broker.stats()).toMatchObject({ published: 2, delivered: 2 });
  });

  it('drain() still accepts replies (x-mira-reply-to) that in-flight handlers publish, so no answer is lost', async () => {
    const g = gate();
    const replies: BrokerMessage[] = [];
    await broker.subscribe('reply', (m) => void replies.push(m));
    await broker.subscribe('work', async (m) => {
      await g.promise;
      await broker.publish('reply', { for: m.id }, { [REPLY_TO_HEADER]: m.id });
    });
    const id = await broker.publish('work', 1);
    await waitFor(() => broker.stats().in_flight === 1, 'one in flight');
    const draining = broker.drain(60_000);
    await turns();
    expect((await rejection(broker.publish('work', 2))).code).toBe('BROKER_STOPPED');
    g.open();
    expect(await draining).toEqual({ completed: true, in_flight: 0, queued: 0 });
    expect(replies.map((r) => r.data)).toEqual([{ for: id }]);
    expect(broker.stats()).toMatchObject({ published: 2, delivered: 2, failed: 0 });
    await broker.stop();
    expect((await rejection(broker.publish('reply', {}, { [REPLY_TO_HEADER]: id }))).code).toBe(
      'BROKER_STOPPED',
    );
  });

  it('drain() delivers what is still queued before answering', async () => {
    broker = new MemoryTransport({ queueSize: 10, maxInFlight: 1 });
    const got: number[] = [];
    await broker.subscribe('t', async (m: BrokerMessage<number>) => {
      await turns(1);
      got.push(m.data);
    });
    for (const n of [1, 2, 3]) await broker.publish('t', n);
    expect(await broker.drain(60_000)).toEqual({ completed: true, in_flight: 0, queued: 0 });
    expect(got).toEqual([1, 2, 3]);
  });

  it('drain() of an idle broker completes at once', async () => {
    expect(await broker.drain(60_000)).toEqual({ completed: true, in_flight: 0, queued: 0 });
  });

  it('drain() returns completed: false when the timeout passes first', async () => {
    broker = new MemoryTransport({ queueSize: 10, maxInFlight: 1 });
    const g = gate();
    await broker.subscribe('t', () => g.promise);
    for (const n of [1, 2, 3]) await broker.publish('t', n);
    await waitFor(() => broker.stats().in_flight === 1, 'in flight');
    expect(await broker.drain(20)).toEqual({ completed: false, in_flight: 1, queued: 2 });
    g.open();
  });

  it('start() after drain() accepts messages again', async () => {
    await broker.drain(1000);
    expect((await rejection(broker.publish('t', 1))).code).toBe('BROKER_STOPPED');
    await broker.start();
    const got: number[] = [];
    await broker.subscribe('t', (m: BrokerMessage<number>) => void got.push(m.data));
    await broker.publish('t', 2);
    await waitFor(() => got.length === 1, 'delivery after restart');
  });

  it('stop() drops and counts what was not dispatched, then refuses publishes', async () => {
    const got: unknown[] = [];
    await broker.subscribe('t', (m) => void got.push(m.data));
    for (const n of [1, 2, 3]) await broker.publish('t', n);
    await broker.stop();
    expect(broker.stats()).toMatchObject({ published: 3, dropped: 3, queued: 0, delivered: 0 });
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('3 undelivered message(s)'));
    await turns();
    expect(got).toEqual([]);
    expect((await rejection(broker.publish('t', 4))).code).toBe('BROKER_STOPPED');
    const health = await broker.health();
    expect(health).toMatchObject({ status: 'unhealthy', connected: false, transport: 'memory' });
  });

  it('stop() lets a handler already in flight finish but drops the queued rest', async () => {
    broker = new MemoryTransport({ queueSize: 10, maxInFlight: 1 });
    const { g, got: done } = await gatedRecorder(broker);
    for (const n of [1, 2, 3]) await broker.publish('t', n);
    await waitFor(() => broker.stats().in_flight === 1, 'in flight');
    await broker.stop();
    expect(broker.stats().dropped).toBe(2);
    g.open();
    await waitFor(() => broker.stats().in_flight === 0, 'the in-flight handler');
    expect(done).toEqual([1]);
  });
});
