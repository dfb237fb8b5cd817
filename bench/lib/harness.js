// Shared bench helpers: start servers as child processes, drive them with autocannon,
// and print contender/baseline ratios measured in the same run.
const { spawn, spawnSync } = require('node:child_process');
const { createServer } = require('node:net');
const { availableParallelism } = require('node:os');
const { existsSync, readFileSync } = require('node:fs');
const { join } = require('node:path');
const autocannon = require('autocannon');

const root = join(__dirname, '../..');

/**
 * Benchmarks run on the project's Node (the `node` devDependency, 24), whatever `node` started
 * them: `node bench/x.js` with an older system Node would measure another runtime (Node 20's
 * AsyncLocalStorage alone costs Mira a third of its throughput). Re-runs this script once.
 */
function useProjectNode() {
  const projectNode = join(root, 'node_modules/.bin/node');
  if (process.env.MIRA_BENCH_NODE || !existsSync(projectNode)) return;
  const version = spawnSync(projectNode, ['-p', 'process.version'], { encoding: 'utf8' }).stdout.trim();
  if (!version || version === process.version) return;
  const r = spawnSync(projectNode, process.argv.slice(1), {
    stdio: 'inherit',
    env: { ...process.env, MIRA_BENCH_NODE: version },
  });
  process.exit(r.status ?? 1);
}
useProjectNode();

// Servers run on CPU 0 and the load generator on CPU 1 (BENCH_PIN=0 turns this off): figures are
// per core, as the targets are stated, and the scheduler cannot put server and client on one
// core for part of a round, which was the largest source of round-to-round noise on 2 cores.
const PIN =
  process.env.BENCH_PIN !== '0' &&
  availableParallelism() >= 2 &&
  spawnSync('taskset', ['-V'], { stdio: 'ignore' }).status === 0;

/** Pins this process (the load generator) to CPU 1; call from a bench's main, not from a server child. */
function pinLoadGenerator() {
  if (PIN) spawnSync('taskset', ['-a', '-p', '-c', '1', String(process.pid)], { stdio: 'ignore' });
}

/** Command and arguments that start a node server process (pinned to CPU 0 when pinning is on). */
function serverCommand(args) {
  return PIN ? ['taskset', ['-c', '0', process.execPath, ...args]] : [process.execPath, args];
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

async function waitFor(url, timeoutMs = 30000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await fetch(url);
      return;
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`${url} not up: ${err.message}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** Starts a node process (output discarded, as a log shipper would consume it) and waits for `readyPath`. */
async function startServer(args, env = {}, readyPath = '/', cwd = root) {
  const port = await freePort();
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('MIRA_') && k !== 'PORT'),
  );
  const [command, argv] = serverCommand(args);
  const proc = spawn(command, argv, {
    cwd,
    env: { ...clean, PORT: String(port), ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(url + readyPath);
  return {
    url,
    proc,
    stop: () =>
      new Promise((resolve) => {
        proc.once('exit', resolve);
        proc.kill('SIGKILL');
      }),
  };
}

/** Runs autocannon and returns requests/second (average) and latency percentiles. */
async function load(opts) {
  const result = await autocannon({ connections: 32, duration: 5, pipelining: 1, ...opts });
  const non2xx = result.non2xx + result.errors + result.timeouts;
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx,
    total: result.requests.total,
  };
}

/**
 * CPU time (user + system, in microseconds) a process has used so far, from /proc (Linux); null
 * elsewhere. A server's CPU per request is its cost per core, independent of whether the load
 * generator kept it fully busy.
 */
function cpuMicros(pid) {
  try {
    // Fields after the command name: utime and stime are the 12th and 13th (clock ticks, 100/s).
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10_000;
  } catch {
    return null;
  }
}

/** load() against one server, adding the server's CPU microseconds per request (`cpuPerRequest`, or null). */
async function loadWithCpu(server, opts) {
  const before = cpuMicros(server.proc.pid);
  const r = await load(opts);
  const after = cpuMicros(server.proc.pid);
  return {
    ...r,
    cpuPerRequest: before === null || after === null || !r.total ? null : (after - before) / r.total,
  };
}

/** Alternates contender and baseline rounds (reduces drift on a shared machine); returns best-of rounds. */
async function sideBySide({ rounds = 3, contender, baseline }) {
  // A first, unrecorded round of each (JIT, caches).
  await baseline();
  await contender();
  const c = [];
  const b = [];
  for (let i = 0; i < rounds; i++) {
    b.push(await baseline());
    c.push(await contender());
  }
  const best = (xs) => xs.reduce((a, x) => (x.rps > a.rps ? x : a));
  return { contender: best(c), baseline: best(b), ratio: best(c).rps / best(b).rps };
}

function report(title, rows) {
  process.stdout.write(`\n## ${title}\n`);
  for (const r of rows) process.stdout.write(`${r.join('  ')}\n`);
}

module.exports = {
  root,
  freePort,
  waitFor,
  startServer,
  load,
  loadWithCpu,
  sideBySide,
  report,
  pinLoadGenerator,
  serverCommand,
};
