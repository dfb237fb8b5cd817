// Framework ceiling: what the same POST costs in the smallest NestJS 12 + Fastify apps, layer by
// layer, next to Mira and the raw node:http baseline of bench/http.js, in one run:
//   raw            bare node:http answering the canned JSON (the baseline of the 0.5 targets);
//   nest           one Nest controller on the Fastify adapter returning the same JSON;
//   nest+validate  + the Standard Schema validation pipe with Mira's zod body schema;
//   nest+val+pino  + nestjs-pino's default request logging (one line per request);
//   mira           the built service: POST /api/v1/messages (generate_plan), rate limit off;
//   mira-full      the same with every feature on as shipped: an API key configured and sent,
//                  the rate limit on (at a limit this load cannot reach), metrics, access log.
// BENCH_CEILING_BASE=<checkout> adds that checkout's built service as `base-full` (every feature
// on, as mira-full): before and after of a change in one run.
// The nest rows do none of Mira's work (no agent, no correlation context, no metrics, no security
// headers): they bound from above what any Nest service with validation and request logging can
// reach here. Each row gives request rate and server CPU per request, each as a ratio to raw.
// Usage: node bench/nest-ceiling.js (BENCH_DURATION, BENCH_ROUNDS).
const { join } = require('node:path');
const { ensureBuilt } = require('../scripts/build-if-needed.js');
const { root, startServer, loadWithCpu, report, pinLoadGenerator } = require('./lib/harness');

const DURATION = Number(process.env.BENCH_DURATION ?? 4);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const API_KEY = 'bench-key-0123456789abcdef';
const planBody = JSON.stringify({
  type: 'generate_plan',
  data: { name: 'Bench', goals: ['Design', 'Build', 'Launch'], duration_weeks: 12 },
});

async function post(url, body) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': API_KEY },
    body,
  });
  return { status: res.status, json: await res.json() };
}

async function main() {
  pinLoadGenerator();
  const entry = ensureBuilt({ quiet: true });
  const mira = await startServer([entry], { MIRA_API__RATE_LIMIT__ENABLED: 'false' }, '/healthz/live');
  const fullEnv = { MIRA_API__KEYS: API_KEY, MIRA_API__RATE_LIMIT__LIMIT: '1000000000' };
  const full = await startServer([entry], fullEnv, '/healthz/live');
  const base = process.env.BENCH_CEILING_BASE;
  const baseFull = base
    ? await startServer([join(base, 'dist/apps/mira/src/main.js')], fullEnv, '/healthz/live', base)
    : null;
  const path = '/api/v1/messages';
  // Every contender answers with Mira's exact bytes (timestamp aside).
  const answer = await post(mira.url + path, planBody);
  if (answer.status !== 200) throw new Error(`mira answered ${answer.status}`);
  const env = { RAW_PAYLOAD: JSON.stringify(answer.json) };
  const minimal = join(root, 'bench/lib/nest-minimal.js');
  const servers = [
    ['raw', await startServer([join(root, 'bench/lib/raw-server.js'), 'plan'], env)],
    ['nest', await startServer([minimal, 'bare'], env)],
    ['nest+validate', await startServer([minimal, 'validate'], env)],
    ['nest+val+pino', await startServer([minimal, 'pino'], env)],
    ['mira', mira],
    ['mira-full', full],
    ...(baseFull ? [['base-full', baseFull]] : []),
  ];
  try {
    // The validating contenders must refuse a bad body, or they would not be doing the work.
    for (const [name, server] of servers.slice(2)) {
      const bad = await post(server.url + path, '{"type":1,"data":{}}');
      if (bad.status !== 400) throw new Error(`${name} answered ${bad.status} to an invalid body`);
    }
    const opts = (server) => ({
      url: server.url + path,
      method: 'POST',
      // The key is sent to every contender; only the *-full ones check it.
      headers: { 'content-type': 'application/json', 'x-api-key': API_KEY },
      body: planBody,
      duration: DURATION,
    });
    // Warm-up round of each, then alternating rounds; best rate and lowest CPU per request of each.
    for (const [, server] of servers) await loadWithCpu(server, { ...opts(server), duration: 2 });
    const results = new Map(servers.map(([name]) => [name, []]));
    for (let round = 0; round < ROUNDS; round++) {
      for (const [name, server] of servers) results.get(name).push(await loadWithCpu(server, opts(server)));
    }
    const best = (rs) => ({
      rps: Math.max(...rs.map((r) => r.rps)),
      cpu: rs.some((r) => r.cpuPerRequest === null) ? null : Math.min(...rs.map((r) => r.cpuPerRequest)),
      non2xx: rs.reduce((a, r) => a + r.non2xx, 0),
    });
    const raw = best(results.get('raw'));
    const floor = best(results.get('nest+val+pino'));
    const rows = servers.map(([name]) => {
      const r = best(results.get(name));
      const cpu = r.cpu === null ? 'n/a' : `${r.cpu.toFixed(1)} us/req`;
      const cpuRatio = r.cpu === null || raw.cpu === null ? 'n/a' : (raw.cpu / r.cpu).toFixed(2);
      return [
        name.padEnd(14),
        `${Math.round(r.rps)} req/s`.padStart(12),
        `| ratio ${(r.rps / raw.rps).toFixed(2)}`,
        `| cpu ${cpu}`,
        `| per-core ratio ${cpuRatio}`,
        `| of the floor ${(r.rps / floor.rps).toFixed(2)}, by cpu ${r.cpu && floor.cpu ? (floor.cpu / r.cpu).toFixed(2) : 'n/a'}`,
        r.non2xx ? `| non-2xx ${r.non2xx}` : '',
      ];
    });
    report(
      `Framework ceiling: POST ${path} in minimal Nest apps and Mira vs raw node:http (best of ${ROUNDS} alternating rounds, 32 connections, servers on CPU 0)`,
      rows,
    );
  } finally {
    await Promise.all(servers.map(([, s]) => s.stop()));
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
