// Workflow bench: low-risk workflows end to end (POST /api/v1/workflows -> a completed record,
// 200) on the built service with its state store on SQLite on disk, and on PostgreSQL, each next
// to the same service on SQLite `:memory:` in the same run (alternating rounds, best of each).
// Target: SQLite on disk >= 0.8x of :memory:; PostgreSQL (one replica) >= 0.6x of :memory:.
// Two-replica mode (with PostgreSQL): two processes on one database, BENCH_CONNECTIONS each (64 in
// all by default), pg_stat_activity sampled for backends waiting on locks (target < 5 %), CPU per
// workflow for one and two replicas. BENCH_BEFORE_ENTRY=<other build's dist/apps/mira/src/main.js>
// measures that build too, in the same run, for before/after figures.
// Usage: node bench/workflows.js   (BENCH_DURATION seconds per round, BENCH_CONNECTIONS, BENCH_PG=0 skips PostgreSQL)
const { mkdtempSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { ensureBuilt } = require('../scripts/build-if-needed.js');
const { sideBySide, report, pinLoadGenerator } = require('./lib/harness');
const { WORKFLOW_BODY: body, startMira, workflowLoad, formatWorkflowRun } = require('./lib/workflow-load');
const { startReplicas, loadReplicas, formatReplicaRun } = require('./lib/pg-replicas');

const DURATION = Number(process.env.BENCH_DURATION ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const WITH_PG = process.env.BENCH_PG !== '0';
const BEFORE = process.env.BENCH_BEFORE_ENTRY || null;

/** One request first: the workflow must complete (200, status completed) on this store. */
async function check(name, server) {
  const res = await fetch(`${server.url}/api/v1/workflows`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  });
  const record = await res.json();
  if (res.status !== 200 || record.status !== 'completed' || record.steps?.length !== 3)
    throw new Error(
      `${name}: expected 200 and a completed record, got ${res.status} ${JSON.stringify(record)}`,
    );
}

async function main() {
  pinLoadGenerator();
  const entry = ensureBuilt({ quiet: true });
  const dir = mkdtempSync(join(tmpdir(), 'mira-bench-wf-'));
  const servers = [];
  let postgres = null;
  try {
    const memory = await startMira(entry, { MIRA_STATE__SQLITE__PATH: ':memory:' });
    servers.push(memory);
    const disk = await startMira(entry, { MIRA_STATE__SQLITE__PATH: join(dir, 'mira.db') });
    servers.push(disk);
    const builds = [{ name: 'this build', entry }];
    if (BEFORE) builds.unshift({ name: 'before', entry: BEFORE });
    await check(':memory:', memory);
    await check('disk', disk);
    const run = (s) => workflowLoad(s, { duration: DURATION, connections: CONNECTIONS });
    const onDisk = await sideBySide({ contender: run(disk), baseline: run(memory) });
    const fmt = formatWorkflowRun;
    const rows = [
      [
        'SQLite on disk ',
        fmt(onDisk.contender),
        '| :memory:',
        fmt(onDisk.baseline),
        `| ratio ${onDisk.ratio.toFixed(2)} (target >= 0.8)`,
      ],
    ];
    if (WITH_PG) {
      // The test harness's server (initdb in a temp dir, loopback, free port); see the README for its settings.
      require('../scripts/ts-register');
      const { startPostgres } = require('../apps/mira/test/support/postgres-server.ts');
      postgres = await startPostgres();
      let n = 0;
      for (const build of builds) {
        const pg = await startMira(build.entry, {
          MIRA_STATE__BACKEND: 'postgres',
          MIRA_STATE__POSTGRES__URL: await postgres.createDatabase(`bench_${++n}`),
        });
        servers.push(pg);
        await check(`postgres (${build.name})`, pg);
        const onPg = await sideBySide({ contender: run(pg), baseline: run(memory) });
        await pg.stop();
        servers.splice(servers.indexOf(pg), 1);
        rows.push([
          `PostgreSQL, 1 replica (${build.name})`,
          fmt(onPg.contender),
          '| :memory:',
          fmt(onPg.baseline),
          `| ratio ${onPg.ratio.toFixed(2)} (target >= 0.6)`,
        ]);
        const url = await postgres.createDatabase(`bench_${++n}`);
        const replicas = await startReplicas(build.entry, url, 2);
        servers.push(...replicas);
        const two = () => loadReplicas(replicas, url, { duration: DURATION, connections: CONNECTIONS });
        await two(); // warm-up
        const rounds = [await two(), await two()];
        const best = rounds.reduce((a, r) => (r.rps > a.rps ? r : a));
        const worstLocks = Math.max(...rounds.map((r) => r.locks.share));
        await Promise.all(replicas.map((s) => s.stop()));
        servers.splice(servers.indexOf(replicas[0]), 2);
        rows.push([
          `PostgreSQL, 2 replicas, ${2 * CONNECTIONS} connections (${build.name})`,
          formatReplicaRun(best),
          `| worst lock wait of the rounds ${(worstLocks * 100).toFixed(1)} % (target < 5 %)`,
        ]);
      }
    }
    report(
      `Workflows: POST /api/v1/workflows (low risk) to a completed record, by state store vs SQLite :memory: (best of 3 alternating rounds after a warm-up round, ${CONNECTIONS} connections, ${DURATION} s each)`,
      rows,
    );
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
    await postgres?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
