import { Logger } from '@nestjs/common';
import { BrokerError } from '../broker.error';
import type { BrokerMessage } from '../broker.interface';
import { MemoryTransport } from './memory.transport';

// Shared by the MemoryTransport specs (delivery and subscriptions; queue limits, drain and stop).

/** A fresh transport (queue size 100) with Logger warnings captured instead of printed. */
export function freshTransport(): { broker: MemoryTransport; warn: jest.SpyInstance } {
  const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  return { broker: new MemoryTransport({ queueSize: 100 }), warn };
}

/** Stops the transport the test ended with and restores the spies. */
export async function stopTransport(broker: MemoryTransport): Promise<void> {
  await broker.stop();
  jest.restoreAllMocks();
}

export async function waitFor(probe: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/** Lets the event loop turn a few times (setImmediate-based delivery gets its chance). */
export async function turns(n = 5): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** A promise the test resolves by hand: handlers await it to stay in flight. */
export function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

export async function rejection(p: Promise<unknown>): Promise<BrokerError> {
  const err = await p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(BrokerError);
  return err as BrokerError;
}

/** Subscribes to `t` a handler that waits for the gate, then records each message's data in order. */
export async function gatedRecorder(
  broker: MemoryTransport,
): Promise<{ g: { promise: Promise<void>; open: () => void }; got: number[] }> {
  const g = gate();
  const got: number[] = [];
  await broker.subscribe('t', async (m: BrokerMessage<number>) => {
    await g.promise;
    got.push(m.data);
  });
  return { g, got };
}
