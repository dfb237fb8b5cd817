// Workflow bench: low-risk workflows end to end (POST /api/v1/workflows -> a completed record,
// 200) on the built service with its state store on SQLite on disk, and on PostgreSQL, each next
// to the same service on SQLite `:memory:` in the same run (alternating rounds, best of each).
// Target: SQLite on disk >= 0.8x of :memory:. The PostgreSQL ratio is reported alongside.
// Usage: node bench/workflows.js   (BENCH_DURATION seconds per round, BENCH_CONNECTIONS, BENCH_PG=0 skips PostgreSQL)
const { mkdtempSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { ensureBuilt } = require('../scripts/build-if-needed.js');
const { sideBySide, report, pinLoadGenerator } = require('./lib/harness');
const { WORKFLOW_BODY: body, startMira, workflowLoad, formatWorkflowRun } = require('./lib/workflow-load');

const DURATION = Number(process.env.BENCH_DURATION ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const WITH_PG = process.env.BENCH_PG !== '0';

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
    let pg = null;
    if (WITH_PG) {
      // The test harness's server (initdb in a temp dir, loopback, free port); see the README for its settings.
      require('../scripts/ts-register');
      const { startPostgres } = require('../apps/mira/test/support/postgres-server.ts');
      postgres = await startPostgres();
      pg = await startMira(entry, {
        MIRA_STATE__BACKEND: 'postgres',
        MIRA_STATE__POSTGRES__URL: await postgres.createDatabase('bench'),
      });
      servers.push(pg);
    }
    await check(':memory:', memory);
    await check('disk', disk);
    if (pg) await check('postgres', pg);

    const run = (s) => workflowLoad(s, { duration: DURATION, connections: CONNECTIONS });
    const onDisk = await sideBySide({ contender: run(disk), baseline: run(memory) });
    const onPg = pg ? await sideBySide({ contender: run(pg), baseline: run(memory) }) : null;

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
    if (onPg)
      rows.push([
        'PostgreSQL     ',
        fmt(onPg.contender),
        '| :memory:',
        fmt(onPg.baseline),
        `| ratio ${onPg.ratio.toFixed(2)}`,
      ]);
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
