import { AsyncLocalStorage } from 'node:async_hooks';
import type { BrokerContextPropagator, BrokerMessage, BrokerObserver } from '../broker.interface';
import { MemoryTransport } from './memory.transport';
import { freshTransport, waitFor, turns, rejection, stopTransport } from './memory.transport.testing';

describe('MemoryTransport', () => {
  let broker: MemoryTransport;
  let warn: jest.SpyInstance;
  beforeEach(() => ({ broker, warn } = freshTransport()));
  afterEach(() => stopTransport(broker));

  it('delivers asynchronously, never inside publish', async () => {
    const calls: string[] = [];
    await broker.subscribe('t', (m) => void calls.push(m.type));
    const p = broker.publish('t', {});
    expect(calls).toEqual([]);
    await p;
    expect(calls).toEqual([]);
    await waitFor(() => calls.length === 1, 'delivery');
    expect(calls).toEqual(['t']);
  });

  it('delivers { id, type, data, headers, timestamp } with an ISO timestamp', async () => {
    const received: BrokerMessage[] = [];
    await broker.subscribe('order.created', (m) => void received.push(m));
    const headers = { 'x-correlation-id': 'c-1' };
    const before = Date.now();
    const id = await broker.publish('order.created', { n: 1 }, headers);
    const after = Date.now();
    headers['x-correlation-id'] = 'mutated after publish';
    const id2 = await broker.publish('order.created', { n: 2 });
    await waitFor(() => received.length === 2, 'two deliveries');

    const [m, m2] = received;
    expect(typeof id).toBe('string');
    expect(id).not.toBe(id2);
    expect(JSON.parse(JSON.stringify(m))).toEqual({
      id,
      type: 'order.created',
      data: { n: 1 },
      headers: { 'x-correlation-id': 'c-1' },
      timestamp: m.timestamp,
    });
    expect(new Date(m.timestamp).toISOString()).toBe(m.timestamp);
    expect(m.timestamp).toMatch(/Z$/);
    const t = Date.parse(m.timestamp);
    expect(t).toBeGreaterThanOrEqual(before);
    expect(t).toBeLessThanOrEqual(after);
    expect(m2.id).toBe(id2);
    expect(m2.headers).toEqual({});
  });

  it('fans out to every group', async () => {
    const got: Record<string, number[]> = { a: [], b: [], c: [] };
    await broker.subscribe('t', (m: BrokerMessage<number>) => void got.a.push(m.data));
    await broker.subscribe('t', (m: BrokerMessage<number>) => void got.b.push(m.data));
    await broker.subscribe(['other', 't'], (m: BrokerMessage<number>) => void got.c.push(m.data), {
      group: 'named',
    });
    for (const n of [1, 2, 3]) await broker.publish('t', n);
    await waitFor(() => got.c.length === 3 && got.a.length === 3 && got.b.length === 3, 'fan-out');
    expect(got).toEqual({ a: [1, 2, 3], b: [1, 2, 3], c: [1, 2, 3] });
    expect(broker.stats()).toMatchObject({ published: 3, delivered: 9, failed: 0 });
  });

  it('shares a group among competing members, round robin', async () => {
    const got: Record<string, number[]> = { x: [], y: [], solo: [] };
    await broker.subscribe('job', (m: BrokerMessage<number>) => void got.x.push(m.data), {
      group: 'workers',
    });
    await broker.subscribe('job', (m: BrokerMessage<number>) => void got.y.push(m.data), {
      group: 'workers',
    });
    await broker.subscribe('job', (m: BrokerMessage<number>) => void got.solo.push(m.data), {
      group: 'audit',
    });
    for (const n of [1, 2, 3, 4, 5]) await broker.publish('job', n);
    await waitFor(() => got.solo.length === 5 && got.x.length + got.y.length === 5, 'deliveries');
    expect(got).toEqual({ x: [1, 3, 5], y: [2, 4], solo: [1, 2, 3, 4, 5] });
  });

  it('isolates a throwing and a rejecting handler from the others and from later messages', async () => {
    const good: number[] = [];
    await broker.subscribe('t', () => {
      throw new Error('sync boom');
    });
    await broker.subscribe('t', async () => {
      await Promise.resolve();
      throw new Error('async boom');
    });
    await broker.subscribe('t', (m: BrokerMessage<number>) => void good.push(m.data));
    for (const n of [1, 2]) await broker.publish('t', n);
    await waitFor(() => broker.stats().failed === 4 && good.length === 2, 'failures counted');
    expect(good).toEqual([1, 2]);
    await broker.publish('t', 3);
    await waitFor(() => good.length === 3, 'a later message');
    expect(broker.stats()).toMatchObject({ published: 3, delivered: 3, failed: 6, in_flight: 0, queued: 0 });
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('sync boom'));
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('async boom'));
  });

  it('unsubscribes by subscription, by id and through the subscription', async () => {
    const got: Record<string, number[]> = { a: [], b: [], c: [], d: [] };
    const a = await broker.subscribe('t', (m: BrokerMessage<number>) => void got.a.push(m.data), {
      group: 'g',
    });
    const b = await broker.subscribe('t', (m: BrokerMessage<number>) => void got.b.push(m.data), {
      group: 'g',
    });
    const c = await broker.subscribe(['t', 'u'], (m: BrokerMessage<number>) => void got.c.push(m.data));
    const d = await broker.subscribe('t', (m: BrokerMessage<number>) => void got.d.push(m.data));
    expect(a).toMatchObject({ types: ['t'], group: 'g' });
    expect(c.group).toBe(c.id);
    expect(c.types).toEqual(['t', 'u']);

    await broker.publish('t', 1);
    await waitFor(() => got.d.length === 1, 'first');
    await broker.unsubscribe(b);
    await broker.unsubscribe(c.id);
    await d.unsubscribe();
    for (const n of [2, 3]) await broker.publish('t', n);
    await broker.publish('u', 4);
    await waitFor(() => got.a.length === 3, 'the remaining member gets every message');
    await turns();
    expect(got).toEqual({ a: [1, 2, 3], b: [], c: [1], d: [1] });
    await broker.unsubscribe(a);
    await broker.publish('t', 5);
    await turns();
    expect(got.a).toEqual([1, 2, 3]);
  });

  it('survives a handler that unsubscribes another group during the same delivery', async () => {
    const got: string[] = [];
    // Groups are dispatched in subscription order: the unsubscriber runs before its victim.
    await broker.subscribe('t', () => {
      got.push('first');
      void broker.unsubscribe(victim);
    });
    const victim = await broker.subscribe('t', () => void got.push('victim'));
    await broker.publish('t', 1);
    await broker.publish('t', 2);
    await waitFor(() => got.filter((g) => g === 'first').length === 2, 'deliveries');
    await turns();
    expect(broker.stats()).toMatchObject({ failed: 0, delivered: 2 });
    expect(got).toEqual(['first', 'first']);
    expect(warn).not.toHaveBeenCalled();
  });

  it('injects headers at publish and runs handlers inside the propagated context', async () => {
    const als = new AsyncLocalStorage<string>();
    const propagator: BrokerContextPropagator = {
      inject: jest.fn((headers: Record<string, string>) => ({
        ...headers,
        'x-ctx': als.getStore() ?? 'none',
      })),
      run: jest.fn(<R>(headers: Readonly<Record<string, string>>, fn: () => R): R =>
        als.run(headers['x-ctx'], fn),
      ),
    };
    broker = new MemoryTransport({ queueSize: 10, propagator });
    const seen: { store: string | undefined; headers: Record<string, string> }[] = [];
    await broker.subscribe('t', async (m) => {
      await Promise.resolve();
      seen.push({ store: als.getStore(), headers: { ...m.headers } });
    });
    await als.run('ctx-42', () => broker.publish('t', {}, { keep: 'me' }));
    await broker.publish('t', {});
    await waitFor(() => seen.length === 2, 'deliveries');

    expect(propagator.inject).toHaveBeenCalledTimes(2);
    expect(propagator.inject).toHaveBeenNthCalledWith(1, { keep: 'me' });
    expect(propagator.run).toHaveBeenCalledTimes(2);
    expect(propagator.run).toHaveBeenNthCalledWith(
      1,
      { keep: 'me', 'x-ctx': 'ctx-42' },
      expect.any(Function),
    );
    expect(seen).toEqual([
      { store: 'ctx-42', headers: { keep: 'me', 'x-ctx': 'ctx-42' } },
      { store: 'none', headers: { 'x-ctx': 'none' } },
    ]);
  });

  it('notifies observers of publications, deliveries and failures', async () => {
    const observer: Required<BrokerObserver> = {
      onPublished: jest.fn(),
      onDelivered: jest.fn(),
      onFailed: jest.fn(),
      onProcessing: jest.fn(),
      onMessageDeadLettered: jest.fn(),
    };
    const partial: BrokerObserver = { onPublished: jest.fn() };
    broker = new MemoryTransport({ queueSize: 10, observers: [observer, partial] });
    const boom = new Error('nope');
    await broker.subscribe('ok', () => undefined, { group: 'g1' });
    await broker.subscribe('bad', () => Promise.reject(boom), { group: 'g2' });
    await broker.publish('ok', 1);
    await broker.publish('bad', 2);
    await waitFor(() => broker.stats().delivered + broker.stats().failed === 2, 'settled');

    expect(observer.onPublished).toHaveBeenCalledTimes(2);
    expect(observer.onPublished).toHaveBeenNthCalledWith(1, 'ok');
    expect(observer.onPublished).toHaveBeenNthCalledWith(2, 'bad');
    expect(partial.onPublished).toHaveBeenCalledTimes(2);
    expect(observer.onDelivered).toHaveBeenCalledTimes(1);
    expect(observer.onDelivered).toHaveBeenCalledWith('ok', 'g1', expect.any(Number));
    expect((observer.onDelivered as jest.Mock).mock.calls[0][2]).toBeGreaterThanOrEqual(0);
    expect(observer.onFailed).toHaveBeenCalledTimes(1);
    expect(observer.onFailed).toHaveBeenCalledWith('bad', 'g2', boom);
    // Lifecycle hooks name the message: a run starts on each, and the failed one (never
    // retried in process) is given up.
    expect(observer.onProcessing).toHaveBeenCalledTimes(2);
    expect(observer.onProcessing).toHaveBeenCalledWith(expect.objectContaining({ type: 'bad' }), 'g2');
    expect(observer.onMessageDeadLettered).toHaveBeenCalledTimes(1);
    expect(observer.onMessageDeadLettered).toHaveBeenCalledWith(
      expect.objectContaining({ type: 'bad', id: expect.any(String) }),
      'g2',
      'nope',
    );
  });

  it('counts messages nobody subscribes to as published only', async () => {
    await broker.publish('nobody', 1);
    await turns();
    expect(broker.stats()).toEqual({
      published: 1,
      delivered: 0,
      failed: 0,
      in_flight: 0,
      queued: 0,
      dropped: 0,
    });
  });

  it('rejects an empty type, empty subscriptions and a missing handler', async () => {
    expect((await rejection(broker.publish('', 1))).code).toBe('BROKER_INVALID_MESSAGE');
    expect((await rejection(broker.subscribe([], () => undefined))).code).toBe('BROKER_INVALID_MESSAGE');
    expect((await rejection(broker.subscribe(['ok', ''], () => undefined))).code).toBe(
      'BROKER_INVALID_MESSAGE',
    );
    expect((await rejection(broker.subscribe('t', null as never))).code).toBe('BROKER_INVALID_MESSAGE');
  });

  it('reports degraded health when the queue is nearly full', async () => {
    broker = new MemoryTransport({ queueSize: 10 });
    expect(await broker.health()).toMatchObject({ status: 'healthy', connected: true, transport: 'memory' });
    for (let n = 0; n < 9; n++) await broker.publish('t', n);
    const h = await broker.health();
    expect(h.status).toBe('degraded');
    expect(h.reason).toBe('queue 9/10 nearly full');
    expect(h.details).toMatchObject({ queued: 9, queue_size: 10, accepting: true });
  });
});
