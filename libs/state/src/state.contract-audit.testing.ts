import { AUDIT_GENESIS_HASH } from './state.constants';
import { auditHash, auditLink } from './state.audit';
import { auditKeyring, DEVELOPMENT_AUDIT_KEY } from './state.audit-keys';
import type { StateStore, WorkflowStatus } from './state.interface';
import {
  at,
  auditFor,
  newRecord,
  seedChain,
  type ContractContext,
  type ContractDatabase,
} from './state.contract.testing';

/** The audit chain, the sweeper queries, revoked sessions, migrations and lifecycle (part of THE store contract, see state.contract.testing.ts). */
export function auditContract(t: ContractContext): void {
  let db: ContractDatabase;
  let store: StateStore;
  beforeEach(() => {
    ({ db, store } = t.current());
  });
  const extra = t.extra;

  describe('audit chain', () => {
    it('links entries per workflow chain from the genesis link, keyed; seq, chain, links assigned by the store', async () => {
      const id = await seedChain(store, 3);
      const other = newRecord();
      await store.createWorkflow(other, [auditFor(null, 'system.note'), auditFor(null, 'system.note2')]);
      const entries = (await store.listAudit({ limit: 100 })).items;
      expect(entries.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
      expect(entries.map((e) => [e.chain, e.chain_seq, e.key_id])).toEqual([
        [id, 1, 'development'],
        [id, 2, 'development'],
        [id, 3, 'development'],
        [other.workflow_id, 1, 'development'],
        [other.workflow_id, 2, 'development'],
      ]);
      expect(entries[0].prev_hash).toBe(AUDIT_GENESIS_HASH);
      expect(entries[3].prev_hash).toBe(AUDIT_GENESIS_HASH);
      entries.forEach((e, i) => {
        const { hash, ...rest } = e;
        expect(hash).toBe(auditLink(DEVELOPMENT_AUDIT_KEY, e.prev_hash, rest));
        if (i > 0 && i !== 3) expect(e.prev_hash).toBe(entries[i - 1].hash);
      });
      expect(entries[1]).toMatchObject({
        workflow_id: id,
        action: 'workflow.updated',
        comment: 'step 1',
        correlation_id: 'corr-1',
      });
      expect(await store.verifyAudit()).toEqual({ ok: true, entries: 5 });
    });

    it('lists oldest first, by workflow and in pages', async () => {
      const id = await seedChain(store, 4);
      await seedChain(store, 2);
      const mine = (await store.listAudit({ workflow_id: id, limit: 100 })).items;
      expect(mine.map((e) => e.seq)).toEqual([1, 2, 3, 4]);
      const p1 = await store.listAudit({ limit: 4 });
      expect(p1.items.map((e) => e.seq)).toEqual([1, 2, 3, 4]);
      const p2 = await store.listAudit({ limit: 4, cursor: p1.next_cursor });
      expect(p2.items.map((e) => e.seq)).toEqual([5, 6]);
      expect(p2.next_cursor).toBeNull();
      const w1 = await store.listAudit({ workflow_id: id, limit: 3 });
      expect(
        (await store.listAudit({ workflow_id: id, limit: 3, cursor: w1.next_cursor })).items.map(
          (e) => e.seq,
        ),
      ).toEqual([4]);
    });

    it('an entry altered with SQL is reported as the first bad seq', async () => {
      await seedChain(store, 5);
      expect(await store.verifyAudit()).toEqual({ ok: true, entries: 5 });
      await db.sql("UPDATE audit SET comment = 'nothing to see' WHERE seq = 3");
      expect(await store.verifyAudit()).toEqual({
        ok: false,
        entries: 3,
        first_bad_seq: 3,
        reason: 'tampered',
      });
    });

    it('an entry edited and re-hashed without the key (SHA-256 as 0.1.0 did, or a guessed key) is reported', async () => {
      await seedChain(store, 4);
      const [e] = (await store.listAudit({ limit: 100 })).items.filter((x) => x.seq === 2);
      const edited = { ...e, comment: 'approved by nobody' };
      const { hash: _h, ...rest } = edited;
      for (const forged of [auditHash(rest), auditLink('guessed-key', e.prev_hash, rest)]) {
        await db.sql(`UPDATE audit SET comment = 'approved by nobody', hash = '${forged}' WHERE seq = 2`);
        expect(await store.verifyAudit()).toMatchObject({ ok: false, first_bad_seq: 2, reason: 'tampered' });
      }
    });

    it('rotation keeps old entries verifiable; another key reports the chain as not verifiable', async () => {
      const k1 = { id: 'k1', key: 'first-key-0123456789abcdef0123456789' };
      const k2 = { id: 'k2', key: 'second-key-0123456789abcdef012345678' };
      store.useAuditKeys!(auditKeyring(k1));
      await seedChain(store, 2);
      store.useAuditKeys!(auditKeyring(k2, [k1]));
      await seedChain(store, 2);
      expect(await store.verifyAudit()).toEqual({ ok: true, entries: 4 });
      const ids = (await store.listAudit({ limit: 10 })).items.map((e) => e.key_id);
      expect(ids).toEqual(['k1', 'k1', 'k2', 'k2']);
      // k1 dropped from previous_keys: its entries cannot be checked.
      store.useAuditKeys!(auditKeyring(k2));
      expect(await store.verifyAudit()).toEqual({
        ok: false,
        entries: 1,
        first_bad_seq: 1,
        reason: 'unknown_key',
        key_id: 'k1',
      });
      // Started with a different key under the same id: not verifiable, and nothing of the key shows.
      store.useAuditKeys!(auditKeyring({ id: 'k2', key: 'a-different-key-0123456789abcdef01' }, [k1]));
      const v = await store.verifyAudit();
      expect(v).toMatchObject({ ok: false, reason: 'key_mismatch', key_id: 'k2' });
      const dump = JSON.stringify(await db.sql('SELECT * FROM audit_chains')) + JSON.stringify(v);
      expect(dump).not.toContain(k1.key);
      expect(dump).not.toContain(k2.key);
    });

    it('a deleted entry (a gap in seq) is detected at the entry after it', async () => {
      await seedChain(store, 5);
      await db.sql('DELETE FROM audit WHERE seq = 2');
      expect(await store.verifyAudit()).toEqual({
        ok: false,
        entries: 2,
        first_bad_seq: 3,
        reason: 'tampered',
      });
    });

    it('a rewritten chain tail (hash recomputed without prev link) is detected', async () => {
      await seedChain(store, 3);
      await db.sql("UPDATE audit SET prev_hash = '" + 'f'.repeat(64) + "' WHERE seq = 2");
      expect((await store.verifyAudit()).first_bad_seq).toBe(2);
    });

    it('entries cut off the end of a chain are detected against its recorded head, and later appends keep the gap', async () => {
      const id = await seedChain(store, 5);
      await db.sql('DELETE FROM audit WHERE seq >= 4');
      expect(await store.verifyAudit()).toEqual({
        ok: false,
        entries: 3,
        first_bad_seq: 4,
        reason: 'truncated',
      });
      // A new link follows the recorded head (chain_seq 6), so the truncation cannot be papered over.
      await store.updateWorkflow(id, 5, { risk_level: 'again' }, [auditFor(id, 'workflow.updated')]);
      expect(await store.verifyAudit()).toMatchObject({ ok: false, first_bad_seq: 6, reason: 'tampered' });
      await db.sql('DELETE FROM audit');
      expect(await store.verifyAudit()).toEqual({
        ok: false,
        entries: 0,
        first_bad_seq: 1,
        reason: 'truncated',
      });
    });

    it('a tail cut with the head row moved back to the remaining last entry is detected (head rows are keyed)', async () => {
      const id = await seedChain(store, 5);
      await db.sql('DELETE FROM audit WHERE seq >= 4');
      const [e] = (await store.listAudit({ limit: 10 })).items.filter((x) => x.seq === 3);
      await db.sql(
        `UPDATE audit_chains SET chain_seq = 3, seq = 3, link = '${e.hash}' WHERE chain = '${id}'`,
      );
      expect(await store.verifyAudit()).toMatchObject({ ok: false, reason: 'truncated' });
    });

    it('a whole chain deleted with its head row is detected', async () => {
      const id = await seedChain(store, 2);
      await seedChain(store, 2);
      await db.sql(`DELETE FROM audit WHERE chain = '${id}'`);
      await db.sql(`DELETE FROM audit_chains WHERE chain = '${id}' OR chain = '#mac:${id}'`);
      const v = await store.verifyAudit();
      // sqlite: the keyed '#seq' row (a gap in seq); postgres, whose seqs have gaps by design: the
      // chain's keyed term is still in the ledger (see state.contract-audit-keys.testing.ts).
      expect(v).toMatchObject({ ok: false, reason: 'truncated' });
    });

    it('an empty chain verifies', async () => {
      expect(await store.verifyAudit()).toEqual({ ok: true, entries: 0 });
    });
  });

  describe('findExpired / findUnleased / countByStatus', () => {
    it('findExpired: given statuses whose expires_at <= now, oldest first, at most limit', async () => {
      const mk = (id: string, status: WorkflowStatus, expires: string | null) =>
        store.createWorkflow(newRecord({ workflow_id: id, status, expires_at: expires }), []);
      await mk('x1', 'pending_approval', at(10));
      await mk('x2', 'pending_approval', at(5));
      await mk('x3', 'pending_approval', at(20)); // exactly now: expired
      await mk('x4', 'pending_approval', at(21)); // not yet
      await mk('x5', 'approved', at(1)); // other status
      await mk('x6', 'pending_approval', null); // never expires
      const now = at(20);
      expect((await store.findExpired(['pending_approval'], now, 10)).map((r) => r.workflow_id)).toEqual([
        'x2',
        'x1',
        'x3',
      ]);
      expect((await store.findExpired(['pending_approval'], now, 2)).map((r) => r.workflow_id)).toEqual([
        'x2',
        'x1',
      ]);
      expect(
        (await store.findExpired(['pending_approval', 'approved'], now, 10)).map((r) => r.workflow_id),
      ).toEqual(['x5', 'x2', 'x1', 'x3']);
      expect(await store.findExpired([], now, 10)).toEqual([]);
    });

    it('findUnleased: lease null or expired, oldest updated first', async () => {
      const mk = (id: string, status: WorkflowStatus, minute: number, lease: string | null) =>
        store.createWorkflow(
          newRecord({
            workflow_id: id,
            status,
            created_at: at(minute),
            lease_owner: lease ? 'r1' : null,
            lease_expires_at: lease,
          }),
          [],
        );
      await mk('u1', 'approved', 3, null);
      await mk('u2', 'running', 1, at(30)); // lease expired at now
      await mk('u3', 'running', 2, at(31)); // still held
      await mk('u4', 'approved', 0, at(10));
      await mk('u5', 'pending_approval', 0, null); // other status
      const now = at(30);
      expect((await store.findUnleased(['approved', 'running'], now, 10)).map((r) => r.workflow_id)).toEqual([
        'u4',
        'u2',
        'u1',
      ]);
      expect((await store.findUnleased(['approved', 'running'], now, 1)).map((r) => r.workflow_id)).toEqual([
        'u4',
      ]);
      // Taking the lease (a conditional update) removes it from the list.
      await store.updateWorkflow(
        'u4',
        1,
        { lease_owner: 'r2', lease_expires_at: at(90), updated_at: at(29) },
        [],
      );
      expect((await store.findUnleased(['approved', 'running'], now, 10)).map((r) => r.workflow_id)).toEqual([
        'u2',
        'u1',
      ]);
    });

    it('oldestIn: given statuses, oldest created first, whether or not they expire', async () => {
      const mk = (id: string, status: WorkflowStatus, minute: number, expires: string | null) =>
        store.createWorkflow(
          newRecord({ workflow_id: id, status, created_at: at(minute), expires_at: expires }),
          [],
        );
      await mk('o1', 'pending_approval', 5, at(100));
      await mk('o2', 'pending_approval', 1, null); // oldest, never expires
      await mk('o3', 'pending_approval', 3, at(10)); // expires first, not the oldest
      await mk('o4', 'completed', 0, null);
      expect((await store.oldestIn(['pending_approval'], 10)).map((r) => r.workflow_id)).toEqual([
        'o2',
        'o3',
        'o1',
      ]);
      expect((await store.oldestIn(['pending_approval'], 1)).map((r) => r.workflow_id)).toEqual(['o2']);
      expect(await store.oldestIn([], 10)).toEqual([]);
    });

    it('countByStatus counts every status present', async () => {
      expect(await store.countByStatus()).toEqual({});
      for (const s of [
        'pending_approval',
        'pending_approval',
        'completed',
        'rejected',
        'pending_approval',
      ] as const)
        await store.createWorkflow(newRecord({ status: s }), []);
      expect(await store.countByStatus()).toEqual({ pending_approval: 3, completed: 1, rejected: 1 });
    });
  });

  describe('revoked sessions (inbox logout)', () => {
    it('remembers a revoked session id until its mark expires, and purges expired marks', async () => {
      expect(await store.isSessionRevoked('sid-1', at(0))).toBe(false);
      await store.revokeSession('sid-1', at(3600), at(0));
      await store.revokeSession('sid-1', at(3600), at(0)); // idempotent
      expect(await store.isSessionRevoked('sid-1', at(10))).toBe(true);
      expect(await store.isSessionRevoked('sid-2', at(10))).toBe(false);
      expect(await store.isSessionRevoked('sid-1', at(3600))).toBe(false);
      await store.revokeSession('sid-2', at(7200), at(3601));
      expect(await db.sql('SELECT sid FROM revoked_sessions')).toEqual([{ sid: 'sid-2' }]);
    });
  });

  describe('migrations and lifecycle', () => {
    it('records each migration once; reopening applies nothing twice and keeps the data', async () => {
      const input = newRecord();
      await store.createWorkflow(input, [auditFor(input.workflow_id)]);
      const rows = await db.sql('SELECT version, name, applied_at FROM schema_migrations ORDER BY version');
      expect(rows.length).toBeGreaterThanOrEqual(1);
      expect(rows[0]).toMatchObject({ version: 1, name: 'workflows_and_audit' });
      expect(rows[1]).toMatchObject({ version: 2, name: 'audit_head' });
      expect(rows[2]).toMatchObject({ version: 3, name: 'revoked_sessions' });
      if (db.shared) {
        const again = await db.open();
        extra.push(again);
        expect(await again.getWorkflow(input.workflow_id)).toMatchObject({
          workflow_id: input.workflow_id,
        });
        expect(await db.sql('SELECT version FROM schema_migrations')).toHaveLength(rows.length);
      }
    });

    it('ping answers; a closed store refuses with STATE_CLOSED', async () => {
      await expect(store.ping()).resolves.toBeUndefined();
      await store.close();
      await expect(store.getWorkflow('x')).rejects.toMatchObject({ code: 'STATE_CLOSED' });
      await store.close(); // idempotent
    });
  });
}
