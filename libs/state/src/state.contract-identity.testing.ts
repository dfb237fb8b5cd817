import type { StateMigration } from './state.migration';
import type { StateStore } from './state.interface';
import { dataHash } from './state.identity';
import { auditFor, newRecord, type ContractContext, type ContractTarget } from './state.contract.testing';

/** Stable ids, data_hash, policy and audit details (part of THE store contract). */
export function identityContract(t: ContractContext): void {
  let store: StateStore;
  beforeEach(() => {
    ({ store } = t.current());
  });

  it('keeps requested_by (id) beside requested_by_name, data_hash and policy, and patches the last two', async () => {
    const input = newRecord({ requested_by: 'oidc:idp.example:123', requested_by_name: 'Alice' });
    await store.createWorkflow(input, [auditFor(input.workflow_id)]);
    const stored = await store.getWorkflow(input.workflow_id);
    expect(stored).toMatchObject({
      requested_by: 'oidc:idp.example:123',
      requested_by_name: 'Alice',
      data_hash: dataHash(input.data),
      policy: input.policy,
    });
    const policy = { ...input.policy!, name: 'project_initialization', minimum_risk: 'high' as const };
    const updated = await store.updateWorkflow(
      input.workflow_id,
      1,
      { data: { cut: true }, data_hash: dataHash({ cut: true }), policy },
      [],
    );
    expect(updated).toMatchObject({ data: { cut: true }, data_hash: dataHash({ cut: true }), policy });
  });

  it('stores each audit entry with actor_name and details (null when none)', async () => {
    const input = newRecord();
    const details = { data_patch: { goals: ['Design'] }, data_hash_before: 'a', data_hash_after: 'b' };
    await store.createWorkflow(input, [
      auditFor(input.workflow_id, 'created', { actor: 'key:alice', actor_name: 'alice' }),
      auditFor(input.workflow_id, 'approve', { actor: 'oidc:idp:1', actor_name: 'Bob', details }),
    ]);
    const { items } = await store.listAudit({ workflow_id: input.workflow_id, limit: 10 });
    expect(items.map((e) => [e.actor, e.actor_name, e.details])).toEqual([
      ['key:alice', 'alice', null],
      ['oidc:idp:1', 'Bob', details],
    ]);
    expect((await store.verifyAudit()).ok).toBe(true);
  });
}

/**
 * A database at core version 3 with records from before stable ids: migration 5 maps their
 * requesters (system stays, key-N -> key:key-N, other names -> legacy:<name>, the name kept as
 * requested_by_name); decisions stored inside the JSON read the same way; data_hash is the hash
 * of the stored data.
 */
export function defineLegacyActorMigrationTest(
  name: string,
  target: ContractTarget,
  migrations: readonly StateMigration[],
  json = (v: unknown) => `'${JSON.stringify(v)}'`,
): void {
  it(`${name}: migration 5 maps actors recorded before stable ids`, async () => {
    const db = await target.newDatabase();
    let store: StateStore | null = null;
    try {
      for (const m of migrations.filter((x) => x.version <= 3))
        for (const statement of m.sql.split(';').filter((s) => s.trim() !== '')) await db.sql(statement);
      await db.sql(
        'CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)',
      );
      for (const v of [1, 2, 3])
        await db.sql(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (${v}, 'm${v}', 'x')`);
      const data = { name: 'Old', goals: ['Design'] };
      const decisions = [
        { actor: 'bob', decision: 'approve', comment: null, at: '2026-01-01T00:00:00.000Z' },
      ];
      for (const [id, who] of [
        ['old-1', 'alice'],
        ['old-2', 'key-2'],
        ['old-3', 'system'],
        ['old-4', 'key-x'],
      ])
        await db.sql(
          `INSERT INTO workflows (workflow_id, workflow_type, status, requested_by, created_at, updated_at, data,
             governance, risk_level, reasons, approvals_required, decisions, expires_at, steps, version)
           VALUES ('${id}', 'project_initialization', 'pending_approval', '${who}', '2026-01-01T00:00:00.000Z',
             '2026-01-01T00:00:00.000Z', ${json(data)}, NULL, 'high', ${json([])}, 2, ${json(decisions)}, NULL,
             ${json([])}, 1)`,
        );
      store = await db.open();
      const ids = [];
      for (const id of ['old-1', 'old-2', 'old-3', 'old-4']) {
        const r = (await store.getWorkflow(id))!;
        ids.push([r.requested_by, r.requested_by_name]);
        expect(r.decisions[0]).toMatchObject({ actor: 'legacy:bob', actor_name: 'bob' });
        expect(r.data_hash).toBe(dataHash(data));
        expect(r.policy).toBeNull();
      }
      expect(ids).toEqual([
        ['legacy:alice', 'alice'],
        ['key:key-2', 'key-2'],
        ['system', 'system'],
        ['legacy:key-x', 'key-x'],
      ]);
      expect(await db.sql('SELECT version FROM schema_migrations WHERE version = 5')).toEqual([
        { version: 5 },
      ]);
    } finally {
      await store?.close();
      await db.drop?.();
    }
  });
}
