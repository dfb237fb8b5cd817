import { auditKeyring, auditKeyCheck, vouchChain, vouchMac } from './state.audit-keys';
import type { StateStore } from './state.interface';
import { seedChain, type ContractContext, type ContractDatabase } from './state.contract.testing';

const K1 = { id: 'k1', key: 'first-key-0123456789abcdef0123456789' };
const K2 = { id: 'k2', key: 'second-key-0123456789abcdef012345678' };
const K3 = { id: 'k3', key: 'third-key-0123456789abcdef0123456789' };

/**
 * The rows that name keys are authenticated too (part of THE store contract): a writer without the
 * key cannot turn tampering into "not verifiable with these keys" by altering a key check row or
 * an entry's key id; rotation through previous_keys keeps working.
 */
export function auditKeysContract(t: ContractContext): void {
  let db: ContractDatabase;
  let store: StateStore;
  beforeEach(() => {
    ({ db, store } = t.current());
  });

  describe('audit key rows', () => {
    it("an altered key check row is tampering, not key_mismatch, when the configured key verifies the key's entries", async () => {
      store.useAuditKeys!(auditKeyring(K1));
      await seedChain(store, 3);
      await db.sql(`UPDATE audit_chains SET link = '${'0'.repeat(64)}' WHERE chain = '#key:k1'`);
      expect(await store.verifyAudit()).toMatchObject({ ok: false, reason: 'tampered', first_bad_seq: 1 });
      // The check row and the first entry both altered: a later entry still proves the key right.
      await db.sql(`UPDATE audit SET comment = 'rewritten' WHERE seq = 1`);
      expect(await store.verifyAudit()).toMatchObject({ ok: false, reason: 'tampered', first_bad_seq: 1 });
    });

    it("an entry's key id changed to an id no held key vouches for is tampering, not unknown_key", async () => {
      store.useAuditKeys!(auditKeyring(K1));
      await seedChain(store, 3);
      // Relabelled only: the MAC still verifies under k1 with its real id.
      await db.sql(`UPDATE audit SET key_id = 'k9' WHERE seq = 2`);
      expect(await store.verifyAudit()).toMatchObject({ ok: false, reason: 'tampered', first_bad_seq: 2 });
      // Relabelled and edited, with a made-up check row for the invented id: nobody vouches for k9.
      await db.sql(`UPDATE audit SET comment = 'edited' WHERE seq = 2`);
      await db.sql(
        `INSERT INTO audit_chains (chain, chain_seq, seq, first_seq, link, key_id)
         VALUES ('#key:k9', 0, 0, 0, '${auditKeyCheck('made-up-key-0123456789abcdef01234')}', 'k9')`,
      );
      expect(await store.verifyAudit()).toMatchObject({ ok: false, reason: 'tampered', first_bad_seq: 2 });
      // A vouch row forged without a held key does not count either.
      await db.sql(
        `INSERT INTO audit_chains (chain, chain_seq, seq, first_seq, link, key_id)
         VALUES ('${vouchChain('k1', 'k9')}', 0, 0, 0, '${vouchMac('guessed-key', 'k1', 'k9', 'older')}', 'k1')`,
      );
      expect(await store.verifyAudit()).toMatchObject({ ok: false, reason: 'tampered', first_bad_seq: 2 });
    });

    it('rotation: a dropped key stays unknown_key (vouched), also after a second rotation that drops it', async () => {
      store.useAuditKeys!(auditKeyring(K1));
      await seedChain(store, 2);
      store.useAuditKeys!(auditKeyring(K2, [K1]));
      await seedChain(store, 2);
      store.useAuditKeys!(auditKeyring(K3, [K2]));
      await seedChain(store, 2);
      store.useAuditKeys!(auditKeyring(K3, [K2, K1]));
      expect(await store.verifyAudit()).toEqual({ ok: true, entries: 6 });
      // k3 alone: k1 was vouched for by k2, and k3 carried that forward when it started.
      store.useAuditKeys!(auditKeyring(K3));
      expect(await store.verifyAudit()).toMatchObject({ ok: false, reason: 'unknown_key', key_id: 'k1' });
      // A verifier still on k2 (not rotated yet): k2 vouched for its successor k3.
      store.useAuditKeys!(auditKeyring(K2, [K1]));
      expect(await store.verifyAudit()).toMatchObject({
        ok: false,
        reason: 'unknown_key',
        key_id: 'k3',
        first_bad_seq: 5,
      });
    });

    it('whole chains deleted are caught by the keyed ledger (postgres) or seq (sqlite); concurrent creations add up', async () => {
      store.useAuditKeys!(auditKeyring(K1));
      const ids = await Promise.all(Array.from({ length: 12 }, () => seedChain(store, 1)));
      await seedChain(store, 2);
      expect(await store.verifyAudit()).toEqual({ ok: true, entries: 14 });
      if (t.name.startsWith('postgres')) {
        // Edited ledger: a stripe's sum or count no longer matches the registered chains.
        const [stripe] = await db.sql(
          "SELECT chain, link, seq FROM audit_chains WHERE chain LIKE '#ledger:%' ORDER BY chain LIMIT 1",
        );
        await db.sql(`UPDATE audit_chains SET seq = seq + 1 WHERE chain = '${String(stripe.chain)}'`);
        expect(await store.verifyAudit()).toEqual({ ok: false, entries: 14, reason: 'truncated' });
        await db.sql(`UPDATE audit_chains SET seq = seq - 1 WHERE chain = '${String(stripe.chain)}'`);
        // A chain's registration mark removed from its MAC row: it no longer adds up either.
        await db.sql(`UPDATE audit_chains SET first_seq = 0 WHERE chain = '#mac:${ids[3]}'`);
        expect(await store.verifyAudit()).toMatchObject({ ok: false, reason: 'truncated' });
        await db.sql(`UPDATE audit_chains SET first_seq = 1 WHERE chain = '#mac:${ids[3]}'`);
        expect(await store.verifyAudit()).toEqual({ ok: true, entries: 14 });
      }
      // A chain deleted whole: entries, head row and MAC row.
      const last = ids[ids.length - 1];
      await db.sql(`DELETE FROM audit WHERE chain = '${last}'`);
      await db.sql(`DELETE FROM audit_chains WHERE chain = '${last}' OR chain = '#mac:${last}'`);
      expect(await store.verifyAudit()).toMatchObject({ ok: false, reason: 'truncated' });
    });

    it('a configured key that verifies none of its entries nor its check value is key_mismatch', async () => {
      store.useAuditKeys!(auditKeyring(K1));
      await seedChain(store, 3);
      store.useAuditKeys!(auditKeyring({ id: 'k1', key: 'not-the-key-0123456789abcdef012345' }));
      expect(await store.verifyAudit()).toMatchObject({ ok: false, reason: 'key_mismatch', key_id: 'k1' });
      // After a rotation, the new id configured with another key and the old key dropped: the old
      // entries are vouched for only by the key in doubt, so the answer is still key_mismatch.
      store.useAuditKeys!(auditKeyring(K2, [K1]));
      await seedChain(store, 2);
      store.useAuditKeys!(auditKeyring({ id: 'k2', key: 'not-the-key-0123456789abcdef012345' }));
      expect(await store.verifyAudit()).toMatchObject({ ok: false, reason: 'key_mismatch', key_id: 'k2' });
    });
  });
}
