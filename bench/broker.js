// Broker bench: the memory transport's publish-to-handler rate against the obvious
// alternative, an EventEmitter delivering asynchronously (setImmediate per message) to an
// async listener — both with the same publish loop, the same handler and completion counting.
// Two memory-transport rows: the bare transport, and the transport as BrokerModule ships it
// (the broker's metrics observer on a MetricsService, the CLS correlation propagator, messages
// published inside a correlation scope as an HTTP request's are) — the full contract.
require('reflect-metadata');
const { EventEmitter } = require('node:events');
const { resolve } = require('node:path');
const { report } = require('./lib/harness');

// The transport is TypeScript: compiled on the fly by the project's require hook.
const { root } = require('../scripts/ts-register');
const { runWithCorrelation } = require('../libs/logging/src/correlation/correlation.context.ts');

/** The memory transport of `dir`, bare and as shipped (files required directly, not through
 * `@mira/*`, which resolves to this checkout). */
function transports(dir) {
  const file = (p) => require(resolve(dir, p));
  const { MemoryTransport } = file('libs/broker/src/memory/memory.transport.ts');
  const { BrokerMetrics } = file('libs/broker/src/metrics/broker.metrics.ts');
  const { MessageTypeLabels } = file('libs/broker/src/metrics/message-type-labels.ts');
  const { MetricsService } = file('libs/metrics/src/registry/metrics.service.ts');
  const { ClsContextPropagator } = file('libs/logging/src/correlation/cls-context.propagator.ts');
  const bare = (queueSize) => new MemoryTransport({ queueSize });
  const shipped = (queueSize) => {
    const labels = new MessageTypeLabels();
    labels.register(['bench']); // as the orchestrator registers its routing table
    let broker = null;
    const view = {
      transport: 'memory',
      stats: () => broker.stats(),
      health: () => broker.health(),
    };
    // Default process metrics off: they cost nothing per message and each start adds a sampler.
    const metrics = new BrokerMetrics(new MetricsService({ defaultMetrics: false }), labels, view);
    broker = new MemoryTransport({ queueSize, observers: [metrics], propagator: new ClsContextPropagator() });
    return broker;
  };
  return { bare, shipped };
}

// BENCH_BROKER_BASE=<checkout> adds that checkout's memory transport as `base` rows (before and
// after of a change in one run).
const BASE = process.env.BENCH_BROKER_BASE;
const mira = transports(root);
const base = BASE ? transports(BASE) : null;

const N = Number(process.env.BENCH_MESSAGES ?? 1_000_000);
const WINDOW = 1000; // publishes in flight before waiting: the queue size of the default config
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);

/** Runs `loop` and returns [messages per wall second, messages per CPU second]. */
async function timed(loop) {
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  await loop();
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(c0);
  return [N / wall, N / ((cpu.user + cpu.system) / 1e6)];
}

async function runMira(make, scoped = false) {
  const broker = make(WINDOW);
  let done = 0;
  let wake = null;
  await broker.subscribe('bench', async () => {
    if (++done % WINDOW === 0 && wake) wake();
  });
  const loop = async () => {
    for (let sent = 0; sent < N;) {
      for (let i = 0; i < WINDOW && sent < N; i++, sent++) await broker.publish('bench', sent);
      if (done < sent) await new Promise((r) => (wake = r));
    }
  };
  return timed(scoped ? () => runWithCorrelation(loop, 'bench-correlation-1') : loop);
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
  return timed(async () => {
    for (let sent = 0; sent < N;) {
      for (let i = 0; i < WINDOW && sent < N; i++, sent++) await publish('bench', sent);
      if (done < sent) await new Promise((r) => (wake = r));
    }
  });
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
  return timed(async () => {
    for (let sent = 0; sent < N;) {
      for (let i = 0; i < WINDOW && sent < N; i++, sent++) await publish('bench', sent);
      if (done < sent) await new Promise((r) => (wake = r));
    }
  });
}

async function main() {
  const contenders = [
    ['EventEmitter baseline', runEmitter],
    ['mira memory transport', () => runMira(mira.bare)],
    ['mira, as shipped (metrics + correlation)', () => runMira(mira.shipped, true)],
    ...(base
      ? [
          [`base (${BASE})`, () => runMira(base.bare)],
          [`base, as shipped`, () => runMira(base.shipped, true)],
        ]
      : []),
    ['reference: bare batched queue, no broker contract', runFloor],
  ];
  const results = contenders.map(() => []);
  for (let round = 0; round < ROUNDS; round++)
    for (let i = 0; i < contenders.length; i++) results[i].push(await contenders[i][1]());
  const best = (rs) => Math.max(...rs.map((r) => r[0]));
  const median = (rs) => {
    const s = rs.map((r) => r[1]).sort((a, b) => a - b);
    return s[(s.length - 1) >> 1];
  };
  const ee = results[0];
  report(
    `Broker: memory transport vs EventEmitter + setImmediate + async listener (${N} messages, ${ROUNDS} alternating rounds; ` +
      'wall: best round; CPU: median round, messages per CPU-second of the process)',
    contenders.map(([name], i) => [
      name.padEnd(52),
      `wall ${(best(results[i]) / 1e6).toFixed(2)} M msg/s ${(best(results[i]) / best(ee)).toFixed(2)} x`.padEnd(
        28,
      ),
      `| cpu ${(median(results[i]) / 1e6).toFixed(2)} M msg/cpu-s ${(median(results[i]) / median(ee)).toFixed(2)} x`,
    ]),
  );
  process.stdout.write(
    '(x: ratio to the EventEmitter baseline; target >= 1.0 for the transport with its full contract)\n',
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
