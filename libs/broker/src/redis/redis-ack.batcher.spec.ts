import { AckBatcher } from './redis-ack.batcher';

describe('AckBatcher', () => {
  it('sends one XACK per stream and group for acks issued in the same tick', async () => {
    const sent: [string, string, string[]][] = [];
    const done: [string, boolean][] = [];
    const b = new AckBatcher<string>({
      send: async (s, g, ids) => void sent.push([s, g, ids]),
      retryDelay: () => null,
      onError: () => undefined,
      done: (item, ok) => done.push([item, ok]),
    });
    for (const id of ['1-0', '2-0']) b.ack('s', 'g', id, `g/${id}`);
    b.ack('s', 'h', '1-0', 'h/1-0');
    b.ack('s', 'g', '3-0', 'g/3-0'); // back to an earlier batch of the same tick
    expect(b.size).toBe(4);
    await b.whenIdle();
    expect(sent).toEqual([
      ['s', 'g', ['1-0', '2-0', '3-0']],
      ['s', 'h', ['1-0']],
    ]);
    expect(done).toEqual([
      ['g/1-0', true],
      ['g/2-0', true],
      ['g/3-0', true],
      ['h/1-0', true],
    ]);
  });

  it('re-sends failed acks after the retry delay, and gives up when told to', async () => {
    let calls = 0;
    const errors: number[] = [];
    const done: boolean[] = [];
    const b = new AckBatcher<number>({
      send: async () => {
        if (++calls < 3) throw new Error('connection lost');
      },
      retryDelay: (n) => (n < 5 ? 1 : null),
      onError: (_e, n) => errors.push(n),
      done: (_item, ok) => done.push(ok),
    });
    b.ack('s', 'g', '1-0', 1);
    await b.whenIdle();
    expect(calls).toBe(3);
    expect(errors).toEqual([1, 1]);
    expect(done).toEqual([true]);

    const out: boolean[] = [];
    const never = new AckBatcher<number>({
      send: () => Promise.reject(new Error('down')),
      retryDelay: () => null,
      onError: () => undefined,
      done: (_item, ok) => out.push(ok),
    });
    never.ack('s', 'g', '1-0', 1);
    await never.whenIdle();
    expect(out).toEqual([false]);
  });
});
