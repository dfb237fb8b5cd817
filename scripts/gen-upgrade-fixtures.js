// Regenerates libs/state/test/fixtures/upgrade/sqlite-v3.db: a database written by THIS release's
// migrations (core schema 1..3) with workflows of mixed statuses, decisions and audit entries. Run
// it only when a release is cut (`npm run build && node scripts/gen-upgrade-fixtures.js`): the
// committed file is "the previous release's database" the upgrade test migrates.
const { rmSync } = require('node:fs');
const { join } = require('node:path');
const { SqliteStateStore } = require('../dist/libs/state/src/backends/sqlite.backend.js');

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

async function main() {
  for (const f of ['', '-wal', '-shm']) rmSync(out + f, { force: true });
  const store = SqliteStateStore.open(out);
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
  await store.close();
  for (const f of ['-wal', '-shm']) rmSync(out + f, { force: true });
  process.stdout.write(`wrote ${out}\n`);
}
main().catch((err) => {
  process.stderr.write(`${err.stack}\n`);
  process.exit(1);
});
