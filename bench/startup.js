// Start-up: spawn to first 200 on the health endpoint, and the process' RSS right after that
// answer, for the built service on its embedded defaults (memory broker, env secrets, sqlite in a
// temp dir) next to the smallest NestJS 12 + Fastify app of bench/nest-ceiling.js (the `bare` and
// `pino` layers of bench/lib/nest-minimal.js), each started the same way (a fresh process per
// round, pinned like the HTTP benches' servers). Rounds alternate; the median of each is reported,
// with the ratios to both minimal apps (target: Mira <= 1.2x of `nest+val+pino` for both, issue 29),
// and each process' CPU time at its first answer (less sensitive to the shared machine's load).
// BENCH_STARTUP_BASE=<checkout> adds that checkout's built service as a `mira-base` row (before
// and after in one run). Usage: node bench/startup.js (BENCH_ROUNDS, default 9).
const { spawn } = require('node:child_process');
const { mkdtempSync, readFileSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { ensureBuilt } = require('../scripts/build-if-needed.js');
const { root, serverCommand, freePort, pinLoadGenerator } = require('./lib/harness');

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 9);
const BASE = process.env.BENCH_STARTUP_BASE;

/** Resident set size of `pid` in MiB, from /proc (Linux); null elsewhere. */
function rssMiB(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}

/** CPU time (user + system) of `pid` so far in ms, from /proc (Linux; clock ticks of 10 ms); null elsewhere. */
function cpuMs(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return null;
  }
}

/** One start: spawn, poll `path` until it answers 200, read RSS and CPU time, kill. */
async function startOnce({ args, env = {}, path, cwd = root, anyStatus = false }) {
  const port = await freePort();
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('MIRA_') && k !== 'PORT'),
  );
  const [command, argv] = serverCommand(args);
  const t0 = process.hrtime.bigint();
  const proc = spawn(command, argv, {
    cwd,
    env: { ...clean, PORT: String(port), ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const exited = new Promise((resolve) => proc.once('exit', resolve));
  let failed = false;
  void exited.then(() => (failed = true));
  try {
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (failed) throw new Error(`${args.join(' ')} exited before answering`);
      try {
        const res = await fetch(`http://127.0.0.1:${port}${path}`);
        await res.arrayBuffer();
        if (anyStatus || res.status === 200) break;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`${args.join(' ')} did not answer ${path}`);
      await new Promise((r) => setTimeout(r, 5));
    }
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    // With taskset the child is taskset's exec'd node: same pid.
    return { ms, rss: rssMiB(proc.pid), cpu: cpuMs(proc.pid) };
  } finally {
    proc.kill('SIGKILL');
    await exited;
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function main() {
  pinLoadGenerator();
  const entry = ensureBuilt({ quiet: true });
  const data = mkdtempSync(join(tmpdir(), 'mira-startup-'));
  const miraEnv = (name) => ({
    MIRA_STATE__SQLITE__PATH: join(data, `${name}.db`),
    MIRA_LOG_LEVEL: 'info',
  });
  const minimal = join(root, 'bench/lib/nest-minimal.js');
  const contenders = [
    // The minimal app serves one POST route: its first answer (Fastify's 404 to a GET) is the mark.
    ['nest', { args: [minimal, 'bare'], path: '/', anyStatus: true }],
    ['nest+val+pino', { args: [minimal, 'pino'], path: '/', anyStatus: true }],
    ['mira', { args: [entry], env: miraEnv('mira'), path: '/healthz/live' }],
  ];
  if (BASE)
    contenders.push([
      'mira-base',
      {
        args: [join(BASE, 'dist/apps/mira/src/main.js')],
        env: miraEnv('base'),
        path: '/healthz/live',
        cwd: BASE,
      },
    ]);
  const run = ([, c]) => startOnce(c);
  try {
    for (const c of contenders) await run(c); // warm-up (disk cache), unrecorded
    const results = new Map(contenders.map(([name]) => [name, []]));
    for (let round = 0; round < ROUNDS; round++)
      for (const c of contenders) results.get(c[0]).push(await run(c));
    const medians = (name) => {
      const rs = results.get(name);
      return {
        ms: median(rs.map((r) => r.ms)),
        cpu: median(rs.map((r) => r.cpu ?? 0)),
        rss: median(rs.map((r) => r.rss ?? 0)),
      };
    };
    const nest = medians('nest');
    const floor = medians('nest+val+pino');
    const ratio = (a, b) => (b ? (a / b).toFixed(2) : 'n/a');
    for (const [name] of contenders) {
      const m = medians(name);
      console.log(
        [
          name.padEnd(14),
          `start ${Math.round(m.ms)} ms`.padStart(15),
          `(${ratio(m.ms, nest.ms)} / ${ratio(m.ms, floor.ms)})`,
          `| cpu ${Math.round(m.cpu)} ms`.padStart(14),
          `(${ratio(m.cpu, nest.cpu)} / ${ratio(m.cpu, floor.cpu)})`,
          `| rss ${m.rss.toFixed(1)} MiB`,
          `(${ratio(m.rss, nest.rss)} / ${ratio(m.rss, floor.rss)})`,
        ].join(' '),
      );
    }
    console.log(
      `(median of ${ROUNDS} rounds; cpu: the process' user + system time at its first answer; ` +
        '(x / y): ratios to nest / to nest+val+pino; target: mira <= 1.20 x nest+val+pino for start and rss)',
    );
  } finally {
    rmSync(data, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
