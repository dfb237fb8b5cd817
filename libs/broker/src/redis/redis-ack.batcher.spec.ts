import { AckBatcher } from './redis-ack.batcher';

describe('AckBatcher', () => {
  it('sends one XACK per stream and group for acks issued in the same tick', async () => {
    const sent: [string, string, string[]][] = [];
    const b = new AckBatcher({
      send: async (s, g, ids) => void sent.push([s, g, ids]),
      retryDelay: () => null,
      onError: () => undefined,
    });
    const done: boolean[] = [];
    for (const id of ['1-0', '2-0', '3-0']) b.ack('s', 'g', id, (ok) => done.push(ok));
    b.ack('s', 'h', '1-0', (ok) => done.push(ok));
    expect(b.size).toBe(4);
    await b.whenIdle();
    expect(sent).toEqual([
      ['s', 'g', ['1-0', '2-0', '3-0']],
      ['s', 'h', ['1-0']],
    ]);
    expect(done).toEqual([true, true, true, true]);
  });

  it('re-sends failed acks after the retry delay, and gives up when told to', async () => {
    let calls = 0;
    const errors: number[] = [];
    const b = new AckBatcher({
      send: async () => {
        if (++calls < 3) throw new Error('connection lost');
      },
      retryDelay: (n) => (n < 5 ? 1 : null),
      onError: (_e, n) => errors.push(n),
    });
    const done: boolean[] = [];
    b.ack('s', 'g', '1-0', (ok) => done.push(ok));
    await b.whenIdle();
    expect(calls).toBe(3);
    expect(errors).toEqual([1, 1]);
    expect(done).toEqual([true]);

    const never = new AckBatcher({
      send: () => Promise.reject(new Error('down')),
      retryDelay: () => null,
      onError: () => undefined,
    });
    const out: boolean[] = [];
    never.ack('s', 'g', '1-0', (ok) => out.push(ok));
    await never.whenIdle();
    expect(out).toEqual([false]);
  });
});
