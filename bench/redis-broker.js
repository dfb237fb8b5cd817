// Redis broker bench, on a real redis-server started here (loopback, no persistence):
//  1. end to end (publish -> handler -> ack) through Mira's RedisTransport against a raw ioredis
//     producer (pipelined XADD) + consumer-group loop (XREADGROUP, JSON.parse, handler, one XACK
//     per batch) on the same Redis, alternating rounds, best of each. Every round runs its
//     contender in a fresh process (a warm-up pass, then the measured pass), as the HTTP benches
//     run each server in its own process, so neither inherits the other's JIT feedback or heap;
//  2. scaling: a pre-filled stream consumed by one, then two consumer processes (one group).
// Usage: node bench/redis-broker.js   (BENCH_MESSAGES, BENCH_ROUNDS, BENCH_SCALE_MESSAGES, BENCH_WORK_US)
// Loaded first: re-runs this script on the project's Node when started with another one.
require('./lib/harness');
require('reflect-metadata');
const { spawn } = require('node:child_process');
const { readFileSync } = require('node:fs');

// The transport is TypeScript: compile on require with the repo's .swcrc (as bench/broker.js does).
require('../scripts/ts-register');
// The service's config sections (each lib owns its own; the app composes them).
require('../apps/mira/src/mira.config.ts');
const { Logger } = require('@nestjs/common');
const { Redis } = require('ioredis');
const { RedisTransport } = require('../libs/broker/src/redis/redis.transport.ts');
const { redisTransportOptions } = require('../libs/broker/src/redis/redis.options.ts');
const { miraConfigSchema } = require('../libs/config/src/config.schema.ts');

Logger.overrideLogger(['error']);
const N = Number(process.env.BENCH_MESSAGES ?? 100_000);
// Five: on a shared 2-core machine single rounds swing by a third; the best of five is steadier.
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const SCALE_N = Number(process.env.BENCH_SCALE_MESSAGES ?? 50_000);
// Per-message CPU work of the scaling handler (a handler that does something), in microseconds.
const WORK_US = Number(process.env.BENCH_WORK_US ?? 50);
const WINDOW = 1000; // publishes in flight at once, for both contenders
const BATCH = 100; // read COUNT, for both contenders
const payload = { type: 'generate_plan', goals: ['Design', 'Build', 'Launch'], duration_weeks: 10 };

function options(url, prefix, extra = {}) {
  const config = miraConfigSchema.parse({
    broker: { redis: { url, stream_prefix: prefix, batch_size: BATCH, max_in_flight: 1024 } },
  });
  return { ...redisTransportOptions(config.broker), ...extra };
}

function busy(us) {
  const end = process.hrtime.bigint() + BigInt(us * 1000);
  let x = 0;
  while (process.hrtime.bigint() < end) x++;
  return x;
}

async function runMira(url, prefix) {
  const t = new RedisTransport(options(url, prefix));
  await t.start();
  let done = 0;
  let wake = null;
  await t.subscribe(
    'bench',
    () => {
      if (++done === N && wake) wake();
    },
    { group: 'bench' },
  );
  const t0 = process.hrtime.bigint();
  const finished = new Promise((r) => (wake = r));
  for (let sent = 0; sent < N;) {
    const batch = [];
    for (let i = 0; i < WINDOW && sent < N; i++, sent++) batch.push(t.publish('bench', payload));
    await Promise.all(batch);
  }
  if (done < N) await finished;
  // Until the last ack landed: the contender's work includes acknowledging.
  while (t.stats().acked < N) await new Promise((r) => setImmediate(r));
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  await t.stop();
  return N / secs;
}

async function runRaw(url, prefix) {
  const stream = `${prefix}bench`;
  const producer = new Redis(url, { enableAutoPipelining: true });
  const reader = new Redis(url);
  const acker = new Redis(url, { enableAutoPipelining: true });
  await producer.xgroup('CREATE', stream, 'bench', '$', 'MKSTREAM');
  let done = 0;
  let acked = 0;
  let stop = false;
  const handler = () => void done++;
  const consume = (async () => {
    while (!stop && acked < N) {
      const reply = await reader.xreadgroup(
        'GROUP',
        'bench',
        'raw',
        'COUNT',
        BATCH,
        'BLOCK',
        1000,
        'STREAMS',
        stream,
        '>',
      );
      if (!reply) continue;
      // RESP3 map (ioredis 6 default) flattened: [stream, entries]; RESP2: [[stream, entries]].
      const entries = Array.isArray(reply[0]) ? reply[0][1] : reply[1];
      const ids = [];
      for (const [id, fields] of entries) {
        handler(JSON.parse(fields[fields.indexOf('d') + 1]));
        ids.push(id);
      }
      void acker.xack(stream, 'bench', ...ids).then(() => (acked += ids.length));
    }
  })();
  const t0 = process.hrtime.bigint();
  for (let sent = 0; sent < N;) {
    const batch = [];
    for (let i = 0; i < WINDOW && sent < N; i++, sent++)
      batch.push(producer.xadd(stream, 'MAXLEN', '~', 100000, '*', 'd', JSON.stringify(payload)));
    await Promise.all(batch);
  }
  while (acked < N) await new Promise((r) => setImmediate(r));
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  stop = true;
  await consume;
  producer.disconnect();
  reader.disconnect();
  acker.disconnect();
  return N / secs;
}

/** Child mode: one consumer process of the scaling run; prints its count when told to stop. */
async function consumerProcess(url, prefix) {
  const t = new RedisTransport(options(url, prefix, { maxInFlight: 256 }));
  await t.start();
  let n = 0;
  await t.subscribe('scale', () => void (n++, busy(WORK_US)), { group: 'scale' });
  process.stdout.write('ready\n');
  process.once('SIGTERM', async () => {
    await t.drain(5000);
    await t.stop();
    process.stdout.write(`count ${n}\n`);
    process.exit(0);
  });
}

async function scaling(url, processes, run) {
  const prefix = `scale${run}:`;
  const stream = `${prefix}scale`;
  const admin = new Redis(url, { enableAutoPipelining: true });
  await admin.xgroup('CREATE', stream, 'scale', '$', 'MKSTREAM');
  const pub = new RedisTransport(options(url, prefix));
  await pub.start();
  for (let sent = 0; sent < SCALE_N;) {
    const batch = [];
    for (let i = 0; i < WINDOW && sent < SCALE_N; i++, sent++) batch.push(pub.publish('scale', payload));
    await Promise.all(batch);
  }
  await pub.stop();
  const children = [];
  for (let i = 0; i < processes; i++) {
    const p = spawn(process.execPath, [__filename, 'consumer', url, prefix], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    children.push({ p, out: () => out });
  }
  // Start the clock once every consumer is connected and subscribed.
  while (!children.every((c) => c.out().includes('ready'))) await new Promise((r) => setTimeout(r, 10));
  const t0 = process.hrtime.bigint();
  for (;;) {
    const groups = await admin.xinfo('GROUPS', stream);
    const g = groups.map((x) =>
      Object.fromEntries(x.reduce((a, v, i) => (i % 2 ? a : [...a, [v, x[i + 1]]]), [])),
    )[0];
    if (Number(g['entries-read']) >= SCALE_N && Number(g.pending) === 0) break;
    await new Promise((r) => setTimeout(r, 5));
  }
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  const exits = children.map((c) => new Promise((r) => c.p.once('exit', r)));
  for (const c of children) c.p.kill('SIGTERM');
  await Promise.all(exits);
  const counts = children.map((c) => Number(/count (\d+)/.exec(c.out())?.[1] ?? 0));
  admin.disconnect();
  return { rate: SCALE_N / secs, counts };
}

/** User + system CPU time of a process so far, in clock ticks (1/100 s). */
function cpuTicks(pid) {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return Number(f[11]) + Number(f[12]);
}

/**
 * Child mode: one round of one contender in this fresh process: an unrecorded warm-up pass (JIT,
 * connections), then the measured pass; prints its rate and the CPU per message of this process
 * and of redis-server during the measured pass.
 */
async function contenderProcess(name, url, prefix, redisPid) {
  const run = name === 'mira' ? runMira : runRaw;
  await run(url, `${prefix}warm:`);
  const r0 = cpuTicks(redisPid);
  const c0 = process.cpuUsage();
  const rate = await run(url, prefix);
  const c = process.cpuUsage(c0);
  const result = { rate, node: (c.user + c.system) / N, redis: ((cpuTicks(redisPid) - r0) * 1e4) / N };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

function round(name, url, prefix, redisPid) {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [__filename, 'contender', name, url, prefix, String(redisPid)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.once('error', reject);
    p.once('exit', (code) =>
      code === 0
        ? resolve(JSON.parse(out.trim().split('\n').pop()))
        : reject(new Error(`${name} round exited ${code}`)),
    );
  });
}

async function main() {
  const { startRedisServer } = require('../apps/mira/test/support/redis-server.ts');
  const redis = await startRedisServer();
  try {
    const results = { mira: [], raw: [] };
    for (let r = 0; r < ROUNDS; r++) {
      for (const name of ['raw', 'mira'])
        results[name].push(await round(name, redis.url, `${name}${r}:`, redis.pid));
    }
    const bestOf = (xs) => xs.reduce((a, b) => (b.rate > a.rate ? b : a));
    const mira = results.mira.map((x) => x.rate);
    const raw = results.raw.map((x) => x.rate);
    // CPU per message of the contender's process and of redis-server, from the best round of
    // each: says which side limits the rate.
    const cpu = { mira: bestOf(results.mira), raw: bestOf(results.raw) };
    const us = (c) => `cpu/msg: node ${c.node.toFixed(1)} us, redis-server ${c.redis.toFixed(1)} us`;
    const best = (xs) => Math.max(...xs);
    const k = (x) => `${(x / 1000).toFixed(1)}k msg/s`;
    const rows = [
      [
        'mira RedisTransport (publish -> handler -> XACK)',
        k(best(mira)),
        `rounds: ${mira.map(k).join(', ')}`,
        us(cpu.mira),
      ],
      [
        'raw ioredis XADD + XREADGROUP/XACK loop',
        k(best(raw)),
        `rounds: ${raw.map(k).join(', ')}`,
        us(cpu.raw),
      ],
      ['ratio', `${(best(mira) / best(raw)).toFixed(2)} (target >= 0.8)`],
    ];
    process.stdout.write(
      `\n## Redis broker end to end: ${N} messages, window ${WINDOW}, COUNT ${BATCH}, best of ${ROUNDS} alternating rounds, each contender in a fresh process after a warm-up pass\n`,
    );
    for (const r of rows) process.stdout.write(`${r.join('  ')}\n`);

    const one = await scaling(redis.url, 1, 'a');
    const two = await scaling(redis.url, 2, 'b');
    process.stdout.write(
      `\n## Redis broker scaling: ${SCALE_N} pre-published messages, handler ~${WORK_US} us CPU each, one group\n`,
    );
    process.stdout.write(`1 consumer process   ${k(one.rate)}  (handled ${one.counts.join(' + ')})\n`);
    process.stdout.write(`2 consumer processes ${k(two.rate)}  (handled ${two.counts.join(' + ')})\n`);
    process.stdout.write(
      `scaling ${(two.rate / one.rate).toFixed(2)}x (2 cores shared with redis-server and this driver)\n`,
    );
  } finally {
    await redis.stop();
  }
}

if (process.argv[2] === 'contender') {
  contenderProcess(process.argv[3], process.argv[4], process.argv[5], Number(process.argv[6])).catch(
    (err) => {
      process.stderr.write(`${err.stack}\n`);
      process.exit(1);
    },
  );
} else if (process.argv[2] === 'consumer') {
  consumerProcess(process.argv[3], process.argv[4]).catch((err) => {
    process.stderr.write(`${err.stack}\n`);
    process.exit(1);
  });
} else {
  main().catch((err) => {
    process.stderr.write(`${err.stack}\n`);
    process.exit(1);
  });
}
