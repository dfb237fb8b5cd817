// Broker bench: the memory transport's publish-to-handler rate against the obvious
// alternative, an EventEmitter delivering asynchronously (setImmediate per message) to an
// async listener — both with the same publish loop, the same handler and completion counting.
require('reflect-metadata');
const { EventEmitter } = require('node:events');
const { report } = require('./lib/harness');

// The transport is TypeScript: compiled on the fly by the project's require hook.
require('../scripts/ts-register');
const { MemoryTransport } = require('../libs/broker/src/memory/memory.transport.ts');

// BENCH_BROKER_BASE=<checkout> adds that checkout's memory transport as a `base` row (before and
// after of a change in one run).
const BASE = process.env.BENCH_BROKER_BASE;
const BaseTransport = BASE
  ? require(require('node:path').join(BASE, 'libs/broker/src/memory/memory.transport.ts')).MemoryTransport
  : null;

const N = Number(process.env.BENCH_MESSAGES ?? 1_000_000);
const WINDOW = 1000; // publishes in flight before waiting: the queue size of the default config

async function runMira(Transport = MemoryTransport) {
  const broker = new Transport({ queueSize: WINDOW });
  let done = 0;
  let wake = null;
  await broker.subscribe('bench', async () => {
    if (++done % WINDOW === 0 && wake) wake();
  });
  const t0 = process.hrtime.bigint();
  for (let sent = 0; sent < N;) {
    for (let i = 0; i < WINDOW && sent < N; i++, sent++) await broker.publish('bench', sent);
    if (done < sent) await new Promise((r) => (wake = r));
  }
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

async function runEmitter() {
  const ee = new EventEmitter();
  let done = 0;
  let wake = null;
  ee.on('bench', async () => {
    if (++done % WINDOW === 0 && wake) wake();
  });
  // Same async publish signature and asynchronous delivery as a broker must offer.
  const publish = async (type, data) => {
    const msg = { id: String(done), type, data, headers: {}, timestamp: Date.now() };
    setImmediate(() => ee.emit(type, msg));
    return msg.id;
  };
  const t0 = process.hrtime.bigint();
  for (let sent = 0; sent < N;) {
    for (let i = 0; i < WINDOW && sent < N; i++, sent++) await publish('bench', sent);
    if (done < sent) await new Promise((r) => (wake = r));
  }
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

/**
 * Reference, not a contender: the least any in-process transport can do with this publish loop.
 * One array as queue, one setImmediate per batch, the message object a broker must build, the
 * handler called, its promise observed with shared callbacks. No message ids, headers, bounded
 * queue, back-pressure, per-delivery accounting or observers, all of which the MessageBroker
 * contract requires. Its rate bounds what the memory transport could reach.
 */
async function runFloor() {
  let done = 0;
  let wake = null;
  const handler = async () => {
    if (++done % WINDOW === 0 && wake) wake();
  };
  let queue = [];
  let scheduled = false;
  let settled = 0;
  const onSettled = () => void settled++;
  const pump = () => {
    scheduled = false;
    const batch = queue;
    queue = [];
    for (let i = 0; i < batch.length; i++) handler(batch[i]).then(onSettled, onSettled);
  };
  const publish = (type, data) => {
    queue.push({ type, data, timestamp: Date.now() });
    if (!scheduled) {
      scheduled = true;
      setImmediate(pump);
    }
    return Promise.resolve(type);
  };
  const t0 = process.hrtime.bigint();
  for (let sent = 0; sent < N;) {
    for (let i = 0; i < WINDOW && sent < N; i++, sent++) await publish('bench', sent);
    if (done < sent) await new Promise((r) => (wake = r));
  }
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

async function main() {
  const mira = [];
  const ee = [];
  const floor = [];
  const base = [];
  for (let round = 0; round < 5; round++) {
    ee.push(N / (await runEmitter()));
    mira.push(N / (await runMira()));
    floor.push(N / (await runFloor()));
    if (BaseTransport) base.push(N / (await runMira(BaseTransport)));
  }
  const best = (xs) => Math.max(...xs);
  report(
    `Broker: memory transport vs EventEmitter + setImmediate + async listener (${N} messages, best of 5 alternating rounds)`,
    [
      ['mira memory transport', `${(best(mira) / 1e6).toFixed(2)} M msg/s`],
      ['EventEmitter baseline', `${(best(ee) / 1e6).toFixed(2)} M msg/s`],
      ['ratio', `${(best(mira) / best(ee)).toFixed(2)} (target >= 1.0, and >= 2 M msg/s)`],
      ...(BaseTransport
        ? [
            [
              `base (${BASE})`,
              `${(best(base) / 1e6).toFixed(2)} M msg/s, ${(best(base) / best(ee)).toFixed(2)} x the baseline`,
            ],
          ]
        : []),
      [
        'reference: bare batched queue, no broker contract',
        `${(best(floor) / 1e6).toFixed(2)} M msg/s, ${(best(floor) / best(ee)).toFixed(2)} x the baseline`,
      ],
    ],
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
