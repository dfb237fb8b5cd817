// Health probes vs raw node:http, and time from SIGTERM to exit.
//
//   node bench/health.js [--duration 10] [--connections 50] [--rounds 3] [--log-level warn]
//
// 1. The built service (child process) answers GET /healthz/live and GET /healthz; a raw
//    node:http server (its own child process) answers the same paths with the same JSON bytes
//    captured from the service. autocannon runs against both, alternating, for several rounds
//    in the same run; the ratio (service req/s over raw req/s, median of the rounds' ratios)
//    is compared with the targets: live >= 0.75x, /healthz >= 0.6x. Alternating rounds keep a
//    busy shared machine from favouring one side.
//    The same comparison is repeated with `health.fast_path: false` (probes through Fastify and
//    the Nest controller) for reference; the targets are judged on the service as shipped.
// 2. SIGTERM -> exit of the built service with drain_delay_ms 0 (the delay is a config
//    choice and would dominate): idle, and under autocannon load on POST /api/v1/messages.
const { spawn } = require('node:child_process');
const { mkdtempSync, writeFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const autocannon = require('autocannon');
const { ensureBuilt } = require('../scripts/build-if-needed.js');
const { freePort, pinLoadGenerator, serverCommand } = require('./lib/harness');

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const DURATION = Number(opt('duration', 10));
const CONNECTIONS = Number(opt('connections', 50));
const LOG_LEVEL = opt('log-level', 'warn');
const ROUNDS = Number(opt('rounds', 3));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function childEnv(extra) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('MIRA_') && k !== 'PORT') env[k] = v;
  return { ...env, ...extra };
}

async function waitFor(url, timeoutMs = 30000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fetch(url);
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`${url} did not answer: ${err.message}`);
      await sleep(100);
    }
  }
}

async function startService(config) {
  const entry = ensureBuilt({ quiet: true });
  const port = await freePort();
  const file = join(mkdtempSync(join(tmpdir(), 'mira-bench-')), 'mira.yaml');
  writeFileSync(
    file,
    JSON.stringify({
      server: { host: '127.0.0.1', port },
      logging: { level: LOG_LEVEL },
      api: { rate_limit: { enabled: false } },
      ...config,
    }),
  );
  const [command, argv] = serverCommand([entry]);
  const proc = spawn(command, argv, {
    env: childEnv({ MIRA_CONFIG_FILE: file, PORT: String(port) }),
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const exited = new Promise((resolve) => proc.on('exit', (code) => resolve({ code, at: Date.now() })));
  const url = `http://127.0.0.1:${port}`;
  await waitFor(`${url}/healthz/live`);
  return { proc, url, exited };
}

/** A raw node:http server in its own process answering `routes` (path -> [status, body]). */
async function startRaw(routes) {
  const port = await freePort();
  const code = `
    const routes = ${JSON.stringify(routes)};
    require('node:http').createServer((req, res) => {
      const r = routes[req.url];
      if (!r) { res.writeHead(404); return res.end(); }
      res.writeHead(r[0], { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(r[1]) });
      res.end(r[1]);
    }).listen(${port}, '127.0.0.1', () => process.stdout.write('ready\\n'));`;
  const [command, argv] = serverCommand(['-e', code]);
  const proc = spawn(command, argv, { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise((resolve) => proc.stdout.once('data', resolve));
  return { proc, url: `http://127.0.0.1:${port}` };
}

function cannon(opts) {
  return new Promise((resolve, reject) => {
    autocannon({ connections: CONNECTIONS, duration: DURATION, ...opts }, (err, res) =>
      err ? reject(err) : resolve(res),
    );
  });
}

async function measure(url) {
  await cannon({ url, duration: 2 }); // warm-up (JIT, caches)
  const r = await cannon({ url });
  return { rps: r.requests.average, p99: r.latency.p99, non2xx: r.non2xx, errors: r.errors };
}

async function compare(config = {}) {
  const service = await startService(config);
  const routes = {};
  for (const path of ['/healthz/live', '/healthz']) {
    const res = await fetch(`${service.url}${path}`);
    routes[path] = [res.status, await res.text()];
  }
  const raw = await startRaw(routes);
  const rows = [];
  for (const [path, target] of [
    ['/healthz/live', 0.75],
    ['/healthz', 0.6],
  ]) {
    const rounds = [];
    for (let i = 0; i < ROUNDS; i++) {
      const s = await measure(`${service.url}${path}`);
      const b = await measure(`${raw.url}${path}`);
      rounds.push({ s, b, ratio: s.rps / b.rps });
      process.stdout.write(
        `  ${path} round ${i + 1}: service ${s.rps.toFixed(0)} req/s, raw ${b.rps.toFixed(0)} req/s, ${(s.rps / b.rps).toFixed(2)}x\n`,
      );
    }
    const mid = rounds.find((r) => r.ratio === median(rounds.map((x) => x.ratio)));
    rows.push({ path, service: mid.s, raw: mid.b, ratio: mid.ratio, target });
  }
  process.stdout.write('\n');
  service.proc.kill('SIGTERM');
  raw.proc.kill('SIGTERM');
  await service.exited;
  return rows;
}

async function sigtermToExit(underLoad) {
  const service = await startService({ shutdown: { drain_delay_ms: 0 } });
  let load = null;
  if (underLoad) {
    load = autocannon({
      url: `${service.url}/api/v1/messages`,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'generate_plan', data: { name: 'bench', goals: ['a', 'b', 'c'] } }),
      connections: CONNECTIONS,
      duration: 30,
    });
    await sleep(3000);
  } else {
    await sleep(500);
  }
  const sent = Date.now();
  service.proc.kill('SIGTERM');
  const { code, at } = await service.exited;
  if (load) load.stop();
  return { ms: at - sent, code };
}

async function main() {
  pinLoadGenerator();
  process.stdout.write(
    `bench/health: ${CONNECTIONS} connections, ${DURATION} s per run, ${ROUNDS} rounds, service log level ${LOG_LEVEL}, node ${process.version}\n\n`,
  );
  const table = (title, rows, judged) => {
    process.stdout.write(`${title}\n`);
    process.stdout.write(
      'endpoint        service req/s  raw req/s   ratio  target  p99 svc/raw ms  non-2xx\n',
    );
    for (const r of rows) {
      const verdict = !judged ? '(for comparison)' : r.ratio >= r.target ? 'ok' : 'BELOW TARGET';
      process.stdout.write(
        `${r.path.padEnd(15)} ${r.service.rps.toFixed(0).padStart(13)} ${r.raw.rps.toFixed(0).padStart(10)} ` +
          `${r.ratio.toFixed(2).padStart(6)}x ${`>=${r.target}`.padStart(7)} ${`${r.service.p99}/${r.raw.p99}`.padStart(14)} ` +
          `${String(r.service.non2xx + r.service.errors).padStart(8)}  ${verdict}\n`,
      );
    }
    process.stdout.write('\n');
  };
  table('As shipped (probes on the health fast path):', await compare(), true);
  // The same probes through Fastify and the Nest controller (hooks, guards, access-log check,
  // request metrics): what the fast path saves.
  table(
    'health.fast_path: false (through the full request pipeline):',
    await compare({ health: { fast_path: false } }),
    false,
  );
  const idle = await sigtermToExit(false);
  const loaded = await sigtermToExit(true);
  process.stdout.write(
    `\nSIGTERM -> exit (drain_delay_ms 0): idle ${idle.ms} ms (exit ${idle.code}), ` +
      `under load ${loaded.ms} ms (exit ${loaded.code})\n`,
  );
}

main().catch((err) => {
  process.stderr.write(`${err.stack}\n`);
  process.exit(1);
});
