import { auditKeyring, auditKeyCheck, vouchChain } from './state.audit-keys';
import { ledgerStripe } from './state.audit-ledger';
import type { StateStore } from './state.interface';
import { seedChain, type ContractContext, type ContractDatabase } from './state.contract.testing';

const K1 = { id: 'k1', key: 'first-key-0123456789abcdef0123456789' };
const K2 = { id: 'k2', key: 'second-key-0123456789abcdef012345678' };
const MOD = 1n << 256n;
/** A stripe value as the attacker reads it (decimal sum, or a hex digest). */
const big = (s: string) => BigInt(/^\d+$/.test(s) ? s : `0x${s}`);

/**
 * What a database writer WITHOUT the key tries against the chain ledger and the key rows (review
 * findings H1, H2, M1, M2; part of THE store contract): none of it may end in `ok` or in a reason
 * that is not tampering.
 */
export function auditAttacksContract(t: ContractContext): void {
  let db: ContractDatabase;
  let store: StateStore;
  beforeEach(() => {
    ({ db, store } = t.current());
  });
  // The chain ledger is PostgreSQL's (SQLite's gap-free keyed seq plays its part there).
  const onPostgres: (name: string, fn: () => Promise<void>) => void = t.name.startsWith('postgres')
    ? (name, fn) => it(name, fn)
    : () => undefined;
  const onSqlite: typeof onPostgres = t.name.startsWith('sqlite')
    ? (name, fn) => it(name, fn)
    : () => undefined;

  const stripes = async () =>
    new Map(
      (await db.sql("SELECT chain, link, seq FROM audit_chains WHERE chain LIKE '#ledger:%:%'")).map((r) => [
        String(r.chain),
        { link: String(r.link), seq: Number(r.seq) },
      ]),
    );
  async function dropChain(id: string): Promise<void> {
    await db.sql(`DELETE FROM audit WHERE chain = '${id}'`);
    await db.sql(`DELETE FROM audit_chains WHERE chain = '${id}' OR chain = '#mac:${id}'`);
  }
  /** The stripe row a chain registered in: the one whose count moved when it was created. */
  async function createWatched(): Promise<{ id: string; stripe: string; before: bigint; after: bigint }> {
    const before = await stripes();
    const id = await seedChain(store, 1);
    const after = await stripes();
    const [stripe] = [...after].find(([c, r]) => r.seq !== (before.get(c)?.seq ?? 0))!;
    return { id, stripe, before: big(before.get(stripe)?.link ?? '0'), after: big(after.get(stripe)!.link) };
  }

  describe('audit: what a writer without the key cannot hide', () => {
    onPostgres(
      'H1: a chain deleted with its stripe row, the other chains of that stripe unregistered, is truncated',
      async () => {
        store.useAuditKeys!(auditKeyring(K1));
        const victim = await createWatched();
        // Chains until two more share the victim's stripe (names are random).
        const ids: string[] = [];
        while (ids.filter((id) => ledgerStripe('k1', id) === victim.stripe).length < 2)
          ids.push(await seedChain(store, 1));
        expect(await store.verifyAudit()).toEqual({ ok: true, entries: ids.length + 1 });
        await dropChain(victim.id);
        await db.sql(`DELETE FROM audit_chains WHERE chain = '${victim.stripe}'`);
        for (const id of ids.filter((c) => ledgerStripe('k1', c) === victim.stripe))
          await db.sql(`UPDATE audit_chains SET first_seq = 0 WHERE chain = '#mac:${id}'`);
        expect(await store.verifyAudit()).toMatchObject({ ok: false, reason: 'truncated' });
      },
    );

    onPostgres(
      'a stripe put back to its copy from before its last chain, that chain deleted: only the anchored counts show it',
      async () => {
        store.useAuditKeys!(auditKeyring(K1));
        for (let i = 0; i < 3; i++) await seedChain(store, 1);
        const before = await stripes();
        const victim = await createWatched();
        const anchored = (await store.auditHead())!.ledger!;
        await dropChain(victim.id);
        const copy = before.get(victim.stripe);
        if (copy)
          await db.sql(
            `UPDATE audit_chains SET seq = ${copy.seq}, link = '${copy.link}' WHERE chain = '${victim.stripe}'`,
          );
        else await db.sql(`DELETE FROM audit_chains WHERE chain = '${victim.stripe}'`);
        // The documented limit (docs/governance.md): verify alone cannot tell...
        expect(await store.verifyAudit()).toEqual({ ok: true, entries: 3 });
        // ...the anchor can: the stripe's published count went down.
        const name = victim.stripe.slice('#ledger:'.length);
        expect((await store.auditHead())!.ledger![name] ?? 0).toBeLessThan(anchored[name]);
      },
    );

    onPostgres(
      'H1: every ledger row deleted and every chain unregistered (a trail posing as pre-ledger) is truncated',
      async () => {
        store.useAuditKeys!(auditKeyring(K1));
        const ids = await Promise.all(Array.from({ length: 8 }, () => seedChain(store, 1)));
        await dropChain(ids[2]);
        await db.sql("DELETE FROM audit_chains WHERE chain LIKE '#ledger:%'");
        await db.sql("UPDATE audit_chains SET first_seq = 0 WHERE chain LIKE '#mac:%'");
        expect(await store.verifyAudit()).toMatchObject({ ok: false, reason: 'truncated' });
      },
    );

    onPostgres(
      "H2: a chain's term learnt from its stripe before and after its creation cannot be taken out",
      async () => {
        store.useAuditKeys!(auditKeyring(K1));
        for (let i = 0; i < 4; i++) await seedChain(store, 1);
        const victim = await createWatched();
        for (let i = 0; i < 4; i++) await seedChain(store, 1);
        expect(await store.verifyAudit()).toEqual({ ok: true, entries: 9 });
        const term = (((victim.after - victim.before) % MOD) + MOD) % MOD;
        await dropChain(victim.id);
        const now = (await stripes()).get(victim.stripe)!;
        const rewound = (((big(now.link) - term) % MOD) + MOD) % MOD;
        await db.sql(
          `UPDATE audit_chains SET seq = seq - 1, link = '${rewound.toString()}' WHERE chain = '${victim.stripe}'`,
        );
        expect(await store.verifyAudit()).toMatchObject({ ok: false, reason: 'truncated' });
      },
    );

    it('M1: an edited entry relabelled to a dropped (vouched) key id is tampered, not unknown_key', async () => {
      store.useAuditKeys!(auditKeyring(K2, [K1]));
      for (let i = 0; i < 4; i++) await seedChain(store, 1);
      store.useAuditKeys!(auditKeyring(K2));
      expect(await store.verifyAudit()).toEqual({ ok: true, entries: 4 });
      await db.sql(`UPDATE audit SET comment = 'rewritten', key_id = 'k1' WHERE seq = 3`);
      expect(await store.verifyAudit()).toMatchObject({ ok: false, reason: 'tampered', first_bad_seq: 3 });
      // The very first entry k2 linked, too: k1 linked nothing after k2 started (its vouch says when).
      await db.sql(`UPDATE audit SET comment = null, key_id = 'k2' WHERE seq = 3`);
      await db.sql(`UPDATE audit SET comment = 'rewritten', key_id = 'k1' WHERE seq = 1`);
      expect(await store.verifyAudit()).toMatchObject({ ok: false, reason: 'tampered', first_bad_seq: 1 });
    });

    it('M1: after an unheld (vouched) id, the walk goes on: a later edit is still tampered', async () => {
      store.useAuditKeys!(auditKeyring(K1));
      await seedChain(store, 2);
      store.useAuditKeys!(auditKeyring(K2, [K1]));
      await seedChain(store, 3);
      store.useAuditKeys!(auditKeyring(K2));
      expect(await store.verifyAudit()).toMatchObject({ ok: false, reason: 'unknown_key', key_id: 'k1' });
      await db.sql(`UPDATE audit SET comment = 'rewritten' WHERE seq = 4`);
      expect(await store.verifyAudit()).toMatchObject({ ok: false, reason: 'tampered', first_bad_seq: 4 });
    });

    it('M1: an edited entry relabelled to a newer (vouched) key id is tampered, not unknown_key', async () => {
      store.useAuditKeys!(auditKeyring(K1));
      const id = await seedChain(store, 3);
      await seedChain(store, 1);
      store.useAuditKeys!(auditKeyring(K2, [K1]));
      await seedChain(store, 2);
      // Rotation rolled back (or a verifier not rotated yet): k2's entries cannot be checked.
      store.useAuditKeys!(auditKeyring(K1));
      expect(await store.verifyAudit()).toMatchObject({ ok: false, reason: 'unknown_key', key_id: 'k2' });
      const [mid] = (await store.listAudit({ workflow_id: id, limit: 10 })).items.filter(
        (x) => x.chain_seq === 2,
      );
      // k2 started after every k1 entry so far (its vouch says when): none of them can be k2's.
      await db.sql(`UPDATE audit SET comment = 'forged', key_id = 'k2' WHERE seq = ${mid.seq}`);
      expect(await store.verifyAudit()).toMatchObject({
        ok: false,
        reason: 'tampered',
        first_bad_seq: mid.seq,
      });
      store.useAuditKeys!(auditKeyring(K2, [K1]));
      expect(await store.verifyAudit()).toMatchObject({
        ok: false,
        reason: 'tampered',
        first_bad_seq: mid.seq,
      });
    });

    it('M1: a rolling rotation (a replica still linking under k1 after k2 started) stays honest', async () => {
      store.useAuditKeys!(auditKeyring(K1));
      await seedChain(store, 2);
      store.useAuditKeys!(auditKeyring(K2, [K1])); // replica A rotated
      await seedChain(store, 1);
      store.useAuditKeys!(auditKeyring(K1)); // replica B, not yet
      await seedChain(store, 2);
      store.useAuditKeys!(auditKeyring(K2, [K1])); // B rotated too
      await seedChain(store, 1);
      expect(await store.verifyAudit()).toEqual({ ok: true, entries: 6 });
      // A verifier not rotated yet: k2's entries all came after k2 started.
      store.useAuditKeys!(auditKeyring(K1));
      expect(await store.verifyAudit()).toMatchObject({ ok: false, reason: 'unknown_key', key_id: 'k2' });
      // The documented limit (docs/governance.md): k1 dropped, B's late k1 entries read tampered.
      store.useAuditKeys!(auditKeyring(K2));
      expect(await store.verifyAudit()).toMatchObject({ ok: false, reason: 'tampered', first_bad_seq: 4 });
    });

    it('M2: a new current key with no entries yet cannot be made to look wrong to hide edits (key_mismatch)', async () => {
      store.useAuditKeys!(auditKeyring(K1));
      for (let i = 0; i < 3; i++) await seedChain(store, 2);
      store.useAuditKeys!(auditKeyring(K2, [K1]));
      expect(await store.verifyAudit()).toEqual({ ok: true, entries: 6 });
      const insert = (chain: string, link: string, keyId: string) =>
        db.sql(
          `INSERT INTO audit_chains (chain, chain_seq, seq, first_seq, link, key_id)
           VALUES ('${chain}', 0, 0, 0, '${link}', '${keyId}')`,
        );
      await insert('#key:k2', auditKeyCheck('garbage-key-0123456789abcdef0123456'), 'k2');
      await insert('#vouch:zz:kX', 'x', 'k2');
      await db.sql(`UPDATE audit SET comment = 'forged', key_id = 'kX' WHERE seq = 3`);
      expect(await store.verifyAudit()).toMatchObject({ ok: false, reason: 'tampered', first_bad_seq: 3 });
      // The voucher named in the row name instead: still nothing of k2 vouches for kX.
      await insert(vouchChain('k2', 'kX'), 'x', 'k2');
      expect(await store.verifyAudit()).toMatchObject({ ok: false, reason: 'tampered', first_bad_seq: 3 });
      // Or the edited entry relabelled to the doubted key itself.
      await db.sql(`UPDATE audit SET key_id = 'k2' WHERE seq = 3`);
      expect(await store.verifyAudit()).toMatchObject({ ok: false, reason: 'tampered', first_bad_seq: 3 });
    });

    it("M2: a key_id column pointed at a doubted key does not skip a head's MAC", async () => {
      store.useAuditKeys!(auditKeyring(K1));
      const id = await seedChain(store, 5);
      store.useAuditKeys!(auditKeyring(K2, [K1]));
      await seedChain(store, 1);
      store.useAuditKeys!(auditKeyring({ id: 'k2', key: 'not-the-key-0123456789abcdef012345' }, [K1]));
      expect(await store.verifyAudit()).toMatchObject({ ok: false, reason: 'key_mismatch', key_id: 'k2' });
      // Tail cut with the head moved back, its MAC row relabelled to the doubted key.
      await db.sql(`DELETE FROM audit WHERE chain = '${id}' AND chain_seq >= 4`);
      const [e] = (await store.listAudit({ workflow_id: id, limit: 10 })).items.filter(
        (x) => x.chain_seq === 3,
      );
      await db.sql(
        `UPDATE audit_chains SET chain_seq = 3, seq = ${e.seq}, link = '${e.hash}' WHERE chain = '${id}'`,
      );
      await db.sql(`UPDATE audit_chains SET key_id = 'k2' WHERE chain = '#mac:${id}'`);
      expect(await store.verifyAudit()).toMatchObject({ ok: false, reason: 'truncated' });
    });

    onSqlite("M2: SQLite's '#seq' row relabelled to a doubted key does not skip its MAC", async () => {
      store.useAuditKeys!(auditKeyring(K1));
      await seedChain(store, 2);
      const last = await seedChain(store, 2);
      // k2 configured but not linked yet; a planted check row puts it in doubt.
      store.useAuditKeys!(auditKeyring(K2, [K1]));
      await db.sql(
        `INSERT INTO audit_chains (chain, chain_seq, seq, first_seq, link, key_id)
         VALUES ('#key:k2', 0, 0, 0, '${auditKeyCheck('garbage-key-0123456789abcdef0123456')}', 'k2')`,
      );
      await dropChain(last);
      await db.sql(`UPDATE audit_chains SET seq = 2, link = 'forged', key_id = 'k2' WHERE chain = '#seq'`);
      expect(await store.verifyAudit()).toMatchObject({ ok: false, reason: 'tampered' });
    });
  });
}
