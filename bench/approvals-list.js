// Approvals list bench: GET /api/v1/workflows?status=pending_approval (the store's listWorkflows,
// first page and a cursor page) with 1,000 and with 100,000 records in the store, on SQLite (file)
// and PostgreSQL. Target: 100,000 answers in <= 2x the time of 1,000 (the status index, no sort).
// Usage: node bench/approvals-list.js   (BENCH_PG=0 skips PostgreSQL, BENCH_REPEAT queries per size)
const { mkdtempSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
require('../scripts/ts-register');
const { SqliteStateStore, PostgresStateStore } = require('../libs/state/src/index.ts');

const REPEAT = Number(process.env.BENCH_REPEAT ?? 200);
const WITH_PG = process.env.BENCH_PG !== '0';
const T0 = Date.parse('2026-01-01T00:00:00.000Z');

/** Fills the store up to `n` records, one in ten pending, in batches of plain SQL. */
async function fill(sql, from, to, ph) {
  for (let start = from; start < to; start += 1000) {
    const rows = [];
    const values = [];
    for (let i = start; i < Math.min(to, start + 1000); i++) {
      const at = new Date(T0 + i * 1000).toISOString();
      const v = [
        `wf-${i}`,
        't',
        i % 10 === 0 ? 'pending_approval' : 'completed',
        'alice',
        at,
        at,
        '{}',
        'low',
        '[]',
        1,
        '[]',
        '[]',
        1,
      ];
      rows.push(`(${v.map((_, k) => ph(values.length + k + 1, k)).join(', ')})`);
      values.push(...v);
    }
    await sql(
      `INSERT INTO workflows (workflow_id, workflow_type, status, requested_by, created_at, updated_at, data, risk_level, reasons, approvals_required, decisions, steps, version) VALUES ${rows.join(', ')}`,
      values,
    );
  }
}

async function time(store) {
  const first = await store.listWorkflows({ status: 'pending_approval', limit: 50 });
  await store.listWorkflows({ status: 'pending_approval', limit: 50, cursor: first.next_cursor });
  const t = process.hrtime.bigint();
  for (let i = 0; i < REPEAT; i++) {
    const p = await store.listWorkflows({ status: 'pending_approval', limit: 50 });
    await store.listWorkflows({ status: 'pending_approval', limit: 50, cursor: p.next_cursor });
  }
  return Number(process.hrtime.bigint() - t) / 1e6 / REPEAT;
}

async function measure(name, store, sql, ph) {
  await fill(sql, 0, 1000, ph);
  const small = await time(store);
  await fill(sql, 1000, 100000, ph);
  const large = await time(store);
  process.stdout.write(
    `${name}: 1,000 records ${small.toFixed(2)} ms | 100,000 records ${large.toFixed(2)} ms | ratio ${(large / small).toFixed(2)} (target <= 2)\n`,
  );
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'mira-bench-list-'));
  process.stdout.write('\n## Approvals list: first page + cursor page of 50, status=pending_approval\n');
  try {
    const sqlite = SqliteStateStore.open(join(dir, 'mira.db'));
    const db = sqlite.db;
    await measure(
      'SQLite (file)',
      sqlite,
      async (text, values) => db.prepare(text).run(...values),
      () => '?',
    );
    await sqlite.close();
    if (WITH_PG) {
      const { startPostgres } = require('../apps/mira/test/support/postgres-server.ts');
      const server = await startPostgres();
      try {
        const url = await server.createDatabase('bench_list');
        const pg = await PostgresStateStore.open({
          url,
          pool_max: 4,
          statement_timeout_ms: 30000,
          connect_timeout_ms: 5000,
        });
        const casts = {
          4: '::timestamptz',
          5: '::timestamptz',
          6: '::jsonb',
          8: '::jsonb',
          10: '::jsonb',
          11: '::jsonb',
        };
        await measure(
          'PostgreSQL',
          pg,
          async (text, values) => pg.pool.query(text, values),
          (n, k) => `$${n}${casts[k] ?? ''}`,
        );
        await pg.pool.query('ANALYZE workflows');
        process.stdout.write(`PostgreSQL after ANALYZE: 100,000 records ${(await time(pg)).toFixed(2)} ms\n`);
        await pg.close();
      } finally {
        await server.stop();
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
