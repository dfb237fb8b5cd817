// HTTP bench: POST /api/v1/messages (generate_plan) and GET /healthz of the built service
// against a raw node:http server answering the same JSON, in the same run.
const { join } = require('node:path');
const { ensureBuilt } = require('../scripts/build-if-needed.js');
const { root, startServer, loadWithCpu, sideBySide, report, pinLoadGenerator } = require('./lib/harness');

const DURATION = Number(process.env.BENCH_DURATION ?? 5);
const planBody = JSON.stringify({
  type: 'generate_plan',
  data: { name: 'Bench', goals: ['Design', 'Build', 'Launch'], duration_weeks: 12 },
});

async function main() {
  pinLoadGenerator();
  const entry = ensureBuilt({ quiet: true });
  // Rate limiting off: one client IP sending tens of thousands of requests would be throttled (429).
  const app = await startServer([entry], { MIRA_API__RATE_LIMIT__ENABLED: 'false' }, '/healthz');
  // Capture the exact answers so the baseline sends the same bytes.
  const planJson = await (
    await fetch(`${app.url}/api/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: planBody,
    })
  ).json();
  const healthJson = await (await fetch(`${app.url}/healthz`)).json();
  const rawPlan = await startServer([join(root, 'bench/lib/raw-server.js'), 'plan'], {
    RAW_PAYLOAD: JSON.stringify(planJson),
  });
  const rawHealth = await startServer([join(root, 'bench/lib/raw-server.js'), 'health'], {
    RAW_PAYLOAD: JSON.stringify(healthJson),
  });
  try {
    const post = {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: planBody,
      duration: DURATION,
    };
    const messages = await sideBySide({
      contender: () => loadWithCpu(app, { url: `${app.url}/api/v1/messages`, ...post }),
      baseline: () => loadWithCpu(rawPlan, { url: rawPlan.url, ...post }),
    });
    const health = await sideBySide({
      contender: () => loadWithCpu(app, { url: `${app.url}/healthz`, duration: DURATION }),
      baseline: () => loadWithCpu(rawHealth, { url: rawHealth.url, duration: DURATION }),
    });
    const cpu = (r) => (r.cpuPerRequest === null ? '' : `, cpu ${r.cpuPerRequest.toFixed(1)} us/req`);
    const fmt = (r) =>
      `${Math.round(r.rps)} req/s (p50 ${r.p50} ms, p99 ${r.p99} ms, non-2xx ${r.non2xx}${cpu(r)})`;
    // Requests per CPU-second of the server, against the baseline's: per core, as the target is stated.
    const perCore = ({ contender: c, baseline: b }) =>
      c.cpuPerRequest && b.cpuPerRequest ? `, by cpu ${(b.cpuPerRequest / c.cpuPerRequest).toFixed(2)}` : '';
    report(
      'HTTP: Mira vs raw node:http (best of 3 alternating rounds after a warm-up round, 32 connections, server and client on one core each)',
      [
        [
          'POST /api/v1/messages',
          'mira',
          fmt(messages.contender),
          '| raw',
          fmt(messages.baseline),
          `| ratio ${messages.ratio.toFixed(2)}${perCore(messages)} (target >= 0.5)`,
        ],
        [
          'GET /healthz         ',
          'mira',
          fmt(health.contender),
          '| raw',
          fmt(health.baseline),
          `| ratio ${health.ratio.toFixed(2)}${perCore(health)}`,
        ],
      ],
    );
  } finally {
    await Promise.all([app.stop(), rawPlan.stop(), rawHealth.stop()]);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
