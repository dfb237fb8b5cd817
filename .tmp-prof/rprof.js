require('/work/main/node_modules/reflect-metadata');
require('/work/main/scripts/ts-register');
const { Logger } = require('/work/main/node_modules/@nestjs/common');
const { RedisTransport } = require('/work/main/libs/broker/src/redis/redis.transport.ts');
const { redisTransportOptions } = require('/work/main/libs/broker/src/redis/redis.options.ts');
const { miraConfigSchema } = require('/work/main/libs/config/src/config.schema.ts');
const { startRedisServer } = require('/work/main/apps/mira/test/support/redis-server.ts');
Logger.overrideLogger(['error']);
const N = 100000, WINDOW = 1000, BATCH = 100;
const payload = { type: 'generate_plan', goals: ['Design', 'Build', 'Launch'], duration_weeks: 10 };
function options(url, prefix) {
  const config = miraConfigSchema.parse({ broker: { redis: { url, stream_prefix: prefix, batch_size: BATCH, max_in_flight: 1024 } } });
  return redisTransportOptions(config.broker);
}
async function runMira(url, prefix) {
  const t = new RedisTransport(options(url, prefix));
  await t.start();
  let done = 0; let wake = null;
  await t.subscribe('bench', () => { if (++done === N && wake) wake(); }, { group: 'bench' });
  const t0 = process.hrtime.bigint();
  const finished = new Promise((r) => (wake = r));
  for (let sent = 0; sent < N;) {
    const batch = [];
    for (let i = 0; i < WINDOW && sent < N; i++, sent++) batch.push(t.publish('bench', payload));
    await Promise.all(batch);
  }
  if (done < N) await finished;
  while (t.stats().acked < N) await new Promise((r) => setImmediate(r));
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  await t.stop();
  return N / secs;
}
const { Redis } = require('/work/main/node_modules/ioredis');
async function runRaw(url, prefix) {
  const stream = `${prefix}bench`;
  const producer = new Redis(url, { enableAutoPipelining: true });
  const reader = new Redis(url);
  const acker = new Redis(url, { enableAutoPipelining: true });
  await producer.xgroup('CREATE', stream, 'bench', '$', 'MKSTREAM');
  let done = 0, acked = 0, stop = false;
  const handler = () => void done++;
  const consume = (async () => {
    while (!stop && acked < N) {
      const reply = await reader.xreadgroup('GROUP', 'bench', 'raw', 'COUNT', BATCH, 'BLOCK', 1000, 'STREAMS', stream, '>');
      if (!reply) continue;
      const entries = Array.isArray(reply[0]) ? reply[0][1] : reply[1];
      const ids = [];
      for (const [id, fields] of entries) { handler(JSON.parse(fields[fields.indexOf('d') + 1])); ids.push(id); }
      void acker.xack(stream, 'bench', ...ids).then(() => (acked += ids.length));
    }
  })();
  const t0 = process.hrtime.bigint();
  for (let sent = 0; sent < N;) {
    const batch = [];
    for (let i = 0; i < WINDOW && sent < N; i++, sent++) batch.push(producer.xadd(stream, 'MAXLEN', '~', 100000, '*', 'd', JSON.stringify(payload)));
    await Promise.all(batch);
  }
  while (acked < N) await new Promise((r) => setImmediate(r));
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  stop = true; await consume; producer.disconnect(); reader.disconnect(); acker.disconnect();
  return N / secs;
}
(async () => {
  const redis = await startRedisServer();
  try {
    for (let i = 0; i < Number(process.env.R || 4); i++) {
      const c0 = process.cpuUsage();
      const r = await (process.env.MODE === 'raw' ? runRaw : runMira)(redis.url, `p${i}:`);
      const c = process.cpuUsage(c0);
      console.log((r / 1000).toFixed(1), 'k msg/s', ((c.user + c.system) / N).toFixed(1), 'us/msg');
    }
  } finally { await redis.stop(); }
})();
// raw mode appended
