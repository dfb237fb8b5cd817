// Regenerates libs/state/test/fixtures/upgrade/sqlite-v3.db (and postgres-v3.sql when
// MIRA_FIXTURE_PG_URL names an EMPTY PostgreSQL database; pg_dump on PATH): a database written by THIS release's
// migrations (core schema 1..3) with workflows of mixed statuses, decisions and audit entries. Run
// it only when a release is cut (`npm run build && node scripts/gen-upgrade-fixtures.js`): the
// committed file is "the previous release's database" the upgrade test migrates.
const { rmSync } = require('node:fs');
const { join } = require('node:path');
const { execFileSync } = require('node:child_process');
const { writeFileSync } = require('node:fs');
const { SqliteStateStore } = require('../dist/libs/state/src/backends/sqlite.backend.js');
const { PostgresStateStore } = require('../dist/libs/state/src/backends/postgres.backend.js');

const out = join(__dirname, '../libs/state/test/fixtures/upgrade/sqlite-v3.db');
const at = (m) => new Date(Date.parse('2026-11-01T09:00:00.000Z') + m * 60000).toISOString();
const audit = (id, action, actor, to, m) => ({
  at: at(m),
  actor,
  action,
  workflow_id: id,
  from_status: null,
  to_status: to,
  comment: null,
  correlation_id: `corr-${id}`,
});
const FINAL = { approve: 'completed', reject: 'rejected', expire: 'expired', run: 'running' };

async function fill(store) {
  const plan = ['pending', 'approve', 'reject', 'expire', 'run', 'pending', 'approve', 'reject'];
  for (const [i, what] of plan.entries()) {
    const id = `wf-upgrade-${i}`;
    const { record } = await store.createWorkflow(
      {
        workflow_id: id,
        workflow_type: 'project_initialization',
        status: 'pending_approval',
        requested_by: 'requester',
        created_at: at(i * 10),
        data: { name: `Upgrade ${i}`, goals: ['a', 'b'] },
        governance: { financial_impact: 50000 + i, requires_human_validation: true },
        risk_level: 'high',
        reasons: ['financial impact over 10000'],
        approvals_required: 1,
        decisions: [],
        expires_at: at(i * 10 + 4320),
        steps: [],
        lease_owner: null,
        lease_expires_at: null,
        idempotency_key: `idem-${i}`,
        request_hash: `hash-${i}`,
      },
      [audit(id, 'created', 'requester', 'pending_approval', i * 10)],
    );
    if (what === 'pending') continue;
    const decisions =
      what === 'approve' || what === 'reject' || what === 'run'
        ? [
            {
              actor: 'approver',
              decision: what === 'reject' ? 'reject' : 'approve',
              comment: `${what} ${i}`,
              at: at(i * 10 + 1),
            },
          ]
        : [];
    await store.updateWorkflow(id, record.version, { status: FINAL[what], decisions }, [
      audit(
        id,
        what === 'run' ? 'approve' : what,
        what === 'expire' ? 'system' : 'approver',
        FINAL[what],
        i * 10 + 1,
      ),
    ]);
  }
}

async function main() {
  for (const f of ['', '-wal', '-shm']) rmSync(out + f, { force: true });
  const store = SqliteStateStore.open(out);
  await fill(store);
  await store.close();
  for (const f of ['-wal', '-shm']) rmSync(out + f, { force: true });
  process.stdout.write(`wrote ${out}\n`);
  const url = process.env.MIRA_FIXTURE_PG_URL;
  if (!url) return;
  const pg = await PostgresStateStore.open({
    url,
    pool_max: 2,
    statement_timeout_ms: 10000,
    connect_timeout_ms: 5000,
  });
  await fill(pg);
  await pg.close();
  const sqlOut = out.replace(/sqlite-v3\.db$/, 'postgres-v3.sql');
  const dump = execFileSync('pg_dump', ['--format=plain', '--no-owner', '--no-privileges', '--dbname', url]);
  writeFileSync(sqlOut, dump);
  process.stdout.write(`wrote ${sqlOut}\n`);
}
main().catch((err) => {
  process.stderr.write(`${err.stack}\n`);
  process.exit(1);
});
