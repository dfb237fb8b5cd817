import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStateStore } from './sqlite.backend';

// A database written by the previous release (core schema 1..3, scripts/gen-upgrade-fixtures.js),
// migrated by this release's migrations: every record, decision and audit entry is still there and
// the chain verifies.
const FIXTURE = join(__dirname, '../../test/fixtures/upgrade/sqlite-v3.db');
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { DatabaseSync } = require('node:sqlite') as typeof import('node:sqlite');

describe('upgrade from the previous release (sqlite fixture)', () => {
  it('migrates the v3 fixture keeping every record, decision and audit entry; the chain verifies', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mira-upgrade-'));
    dirs.push(dir);
    const path = join(dir, 'mira.db');
    copyFileSync(FIXTURE, path);
    const before = new DatabaseSync(path, { readOnly: true });
    const oldAudit = before.prepare('SELECT seq, hash, action, workflow_id FROM audit ORDER BY seq').all();
    const oldVersions = before.prepare('SELECT version FROM schema_migrations ORDER BY version').all();
    before.close();
    expect(oldVersions.map((r) => r.version)).toEqual([1, 2, 3]);

    const store = SqliteStateStore.open(path);
    expect(await store.countByStatus()).toEqual({
      pending_approval: 2,
      completed: 2,
      rejected: 2,
      expired: 1,
      running: 1,
    });
    const approved = await store.getWorkflow('wf-upgrade-1');
    expect(approved).toMatchObject({
      status: 'completed',
      requested_by: 'legacy:requester', // migration 5: an old name of unknown source
      requested_by_name: 'requester',
      idempotency_key: 'idem-1',
      data: { name: 'Upgrade 1', goals: ['a', 'b'] },
      decisions: [
        { actor: 'legacy:approver', actor_name: 'approver', decision: 'approve', comment: 'approve 1' },
      ],
    });
    const rejected = await store.getWorkflow('wf-upgrade-2');
    expect(rejected?.decisions).toMatchObject([{ actor: 'legacy:approver', decision: 'reject' }]);
    const audit = (await store.listAudit({ limit: 100 })).items;
    expect(
      audit.map((e) => ({ seq: e.seq, hash: e.hash, action: e.action, workflow_id: e.workflow_id })),
    ).toEqual(oldAudit.map((r) => ({ ...r })));
    // Migration 7: records that ran before any step asked a flag chose no variant.
    expect(approved?.flag_variants).toEqual({});
    expect(
      (await store.listWorkflows({ limit: 100 })).items.every(
        (w) => Object.keys(w.flag_variants).length === 0,
      ),
    ).toBe(true);
    expect(await store.verifyAudit()).toMatchObject({ ok: true });
    await store.close();
    const after = new DatabaseSync(path, { readOnly: true });
    const migrated = after.prepare('SELECT version FROM schema_migrations ORDER BY version').all();
    after.close();
    expect(migrated.map((r) => r.version)).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });
});
