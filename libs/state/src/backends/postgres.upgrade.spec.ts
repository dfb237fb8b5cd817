import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { Client } from 'pg';
import { findPostgresBindir } from '../../../../apps/mira/test/support/postgres-server';
import { usePostgresServer } from '../state.engines.testing';
import { PostgresStateStore } from './postgres.backend';

// The previous release's PostgreSQL database (a plain pg_dump of core schema 1..3,
// scripts/gen-upgrade-fixtures.js) loaded into a real server and migrated by this release.
const FIXTURE = join(__dirname, '../../test/fixtures/upgrade/postgres-v3.sql');
const pg = usePostgresServer();

describe('upgrade from the previous release (postgres fixture)', () => {
  it('migrates the v3 dump keeping every record, decision and audit entry; the chain verifies', async () => {
    const url = await pg.server.createDatabase(`upgrade_${process.pid}`);
    execFileSync(
      join(findPostgresBindir(), 'psql'),
      ['-v', 'ON_ERROR_STOP=1', '-q', '-f', FIXTURE, '--dbname', url],
      { stdio: 'pipe' },
    );
    const admin = new Client({ connectionString: url });
    await admin.connect();
    const oldAudit = (await admin.query('SELECT seq, hash, action, workflow_id FROM audit ORDER BY seq'))
      .rows;
    const versions = (await admin.query('SELECT version FROM schema_migrations ORDER BY version')).rows;
    await admin.end();
    expect(versions.map((r) => r.version)).toEqual([1, 2, 3]);
    expect(oldAudit).toHaveLength(14);

    const store = await PostgresStateStore.open({
      url,
      pool_max: 2,
      statement_timeout_ms: 5000,
      connect_timeout_ms: 2000,
    });
    expect(await store.countByStatus()).toEqual({
      pending_approval: 2,
      completed: 2,
      rejected: 2,
      expired: 1,
      running: 1,
    });
    expect(await store.getWorkflow('wf-upgrade-1')).toMatchObject({
      status: 'completed',
      idempotency_key: 'idem-1',
      data: { name: 'Upgrade 1', goals: ['a', 'b'] },
      decisions: [
        { actor: 'legacy:approver', actor_name: 'approver', decision: 'approve', comment: 'approve 1' },
      ],
    });
    const audit = (await store.listAudit({ limit: 100 })).items;
    expect(
      audit.map((e) => ({ seq: e.seq, hash: e.hash, action: e.action, workflow_id: e.workflow_id })),
    ).toEqual(oldAudit.map((r) => ({ ...r, seq: Number(r.seq) })));
    // Migration 7: records that ran before any step asked a flag chose no variant.
    expect((await store.getWorkflow('wf-upgrade-1'))?.flag_variants).toEqual({});
    expect(
      (await store.listWorkflows({ limit: 100 })).items.every(
        (w) => Object.keys(w.flag_variants).length === 0,
      ),
    ).toBe(true);
    expect(await store.verifyAudit()).toMatchObject({ ok: true });
    await store.close();
    const after = new Client({ connectionString: url });
    await after.connect();
    const migrated = (await after.query('SELECT version FROM schema_migrations ORDER BY version')).rows;
    await after.end();
    expect(migrated.map((r) => r.version)).toEqual([1, 2, 3, 4, 5, 6, 7]);
  }, 60000);
});
