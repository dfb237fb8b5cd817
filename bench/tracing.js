// Tracing bench: the built service answering POST /api/v1/workflows (low risk, to a completed
// record) with tracing off, on at 10 % sampling and on at 100 %, exporting OTLP/HTTP protobuf
// to a local receiver, in one run (alternating rounds against the tracing-off baseline, best of
// each). Target: 10 % sampling costs <= 5 % of throughput (ratio >= 0.95); 100 % is reported.
// Usage: node bench/tracing.js   (BENCH_DURATION seconds per round, BENCH_CONNECTIONS)
const { createServer } = require('node:http');
const { ensureBuilt } = require('../scripts/build-if-needed.js');
const { freePort, sideBySide, report, pinLoadGenerator } = require('./lib/harness');
const { startMira: startService, workflowLoad, formatWorkflowRun } = require('./lib/workflow-load');

const DURATION = Number(process.env.BENCH_DURATION ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);

/** A local OTLP/HTTP receiver: accepts every export (as a healthy collector does) and counts bytes. */
async function startReceiver() {
  const stats = { requests: 0, bytes: 0 };
  const server = createServer((req, res) => {
    req.on('data', (c) => (stats.bytes += c.length));
    req.on('end', () => {
      stats.requests++;
      res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  const port = await freePort();
  await new Promise((r) => server.listen(port, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${port}`, stats, close: () => new Promise((r) => server.close(r)) };
}

/** Every process on an in-memory store: only tracing differs between them. */
const startMira = (entry, env) => startService(entry, { MIRA_STATE__SQLITE__PATH: ':memory:', ...env });

async function main() {
  pinLoadGenerator();
  const entry = ensureBuilt({ quiet: true });
  const receiver = await startReceiver();
  const servers = [];
  try {
    const tracing = (ratio) => ({
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: String(ratio),
    });
    const off = await startMira(entry, {});
    servers.push(off);
    const tenth = await startMira(entry, tracing(0.1));
    servers.push(tenth);
    const all = await startMira(entry, tracing(1));
    servers.push(all);

    const run = (s) => workflowLoad(s, { duration: DURATION, connections: CONNECTIONS });
    const at10 = await sideBySide({ contender: run(tenth), baseline: run(off) });
    const at100 = await sideBySide({ contender: run(all), baseline: run(off) });

    const fmt = formatWorkflowRun;
    report(
      `Tracing: POST /api/v1/workflows, OTLP/HTTP protobuf to a local receiver vs tracing off (best of 3 alternating rounds after a warm-up round, ${CONNECTIONS} connections, ${DURATION} s each)`,
      [
        [
          '10 % sampling ',
          fmt(at10.contender),
          '| off',
          fmt(at10.baseline),
          `| ratio ${at10.ratio.toFixed(3)} (target >= 0.95)`,
        ],
        [
          '100 % sampling',
          fmt(at100.contender),
          '| off',
          fmt(at100.baseline),
          `| ratio ${at100.ratio.toFixed(3)}`,
        ],
        [
          `receiver: ${receiver.stats.requests} export requests, ${(receiver.stats.bytes / 1e6).toFixed(1)} MB`,
        ],
      ],
    );
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
    await receiver.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
