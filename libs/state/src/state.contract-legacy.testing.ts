import { auditHash } from './state.audit';
import { auditKeyring } from './state.audit-keys';
import { AUDIT_GENESIS_HASH } from './state.constants';
import { auditFor, newRecord, type ContractTarget } from './state.contract.testing';

/**
 * Upgrade from 0.1.0 (schema version 3, unkeyed SHA-256 chain): the rows stay verifiable as before
 * up to the frozen legacy head, keyed per-workflow chains follow, and the first keyed append seals the
 * legacy head under the key, so re-hashing legacy rows afterwards is detected. Shared databases only
 * (a file or a server): the upgrade reopens the database.
 */
export function defineLegacyUpgradeTest(
  name: string,
  target: ContractTarget,
  dialect: 'sqlite' | 'postgres',
): void {
  it(`${name}: a 0.1.0 chain upgrades to the keyed chain and stays verifiable; legacy rows re-hashed later are caught`, async () => {
    const db = await target.newDatabase();
    const first = await db.open();
    const record = newRecord();
    await first.createWorkflow(record, []);
    await first.close();
    // Back to schema 3, as 0.1.0 left it.
    for (const stmt of [
      'DELETE FROM schema_migrations WHERE version = 4',
      'DROP TABLE audit_chains',
      ...(dialect === 'postgres'
        ? [
            'DROP SEQUENCE audit_seq',
            'ALTER TABLE audit DROP COLUMN chain, DROP COLUMN chain_seq, DROP COLUMN key_id',
          ]
        : [
            'ALTER TABLE audit DROP COLUMN chain',
            'ALTER TABLE audit DROP COLUMN chain_seq',
            'ALTER TABLE audit DROP COLUMN key_id',
          ]),
    ])
      await db.sql(stmt);
    const legacyRows = (comment: string) => {
      let prev = AUDIT_GENESIS_HASH;
      return [1, 2, 3].map((seq) => {
        const e = {
          ...auditFor(record.workflow_id, 'workflow.updated', { comment: seq === 2 ? comment : `c${seq}` }),
          at: '2026-03-01T10:00:00.000Z',
          seq,
          prev_hash: prev,
        };
        const hash = auditHash(e);
        prev = hash;
        return { ...e, hash };
      });
    };
    const write = async (rows: ReturnType<typeof legacyRows>) => {
      await db.sql('DELETE FROM audit');
      for (const e of rows)
        await db.sql(
          `INSERT INTO audit (seq, at, actor, action, workflow_id, from_status, to_status, comment, correlation_id, prev_hash, hash)
           VALUES (${e.seq}, '${e.at}', '${e.actor}', '${e.action}', '${e.workflow_id}', NULL, '${e.to_status}', '${e.comment}', '${e.correlation_id}', '${e.prev_hash}', '${e.hash}')`,
        );
      await db.sql('DELETE FROM audit_head');
      await db.sql(`INSERT INTO audit_head (id, seq, hash) VALUES (1, 3, '${rows[2].hash}')`);
    };
    await write(legacyRows('c2'));
    const upgraded = await db.open();
    try {
      upgraded.useAuditKeys!(auditKeyring({ id: 'k1', key: 'upgrade-key-0123456789abcdef0123456' }));
      expect(await upgraded.verifyAudit()).toEqual({ ok: true, entries: 3 });
      await upgraded.updateWorkflow(record.workflow_id, 1, { risk_level: 'medium' }, [
        auditFor(record.workflow_id, 'workflow.updated'),
      ]);
      const items = (await upgraded.listAudit({ limit: 10 })).items;
      expect(items.map((e) => [e.seq, e.key_id, e.chain_seq])).toEqual([
        [1, null, null],
        [2, null, null],
        [3, null, null],
        [4, 'k1', 1],
      ]);
      expect(await upgraded.verifyAudit()).toEqual({ ok: true, entries: 4 });
      // Someone with database access rewrites a legacy entry and re-hashes the legacy chain and head.
      await write(legacyRows('approved by nobody'));
      expect(await upgraded.verifyAudit()).toMatchObject({ ok: false, first_bad_seq: 1, reason: 'tampered' });
      // The same rewrite with the frozen head deleted: the seal still demands it.
      await db.sql('DELETE FROM audit_head');
      expect(await upgraded.verifyAudit()).toMatchObject({ ok: false, first_bad_seq: 1, reason: 'tampered' });
    } finally {
      await upgraded.close();
      await db.drop?.();
    }
  });
}
