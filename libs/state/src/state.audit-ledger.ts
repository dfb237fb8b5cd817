import { createHash, createHmac } from 'node:crypto';
import type { ChainHead } from './state.audit';

/**
 * The chain ledger (postgres, where seqs have gaps by design): each new chain adds its keyed term
 * HMAC(key, "chain-ledger\n" + chain) to one of LEDGER_STRIPES rows '#ledger:<key id>:<n>' (sum mod
 * 2^256 in `link`, count in `seq`), in the statement that creates the chain; its '#mac:' row says it
 * is registered (first_seq 1). A whole chain deleted (entries, head, MAC row) leaves its term in the
 * ledger; without the key nobody can compute the term to take it out. Stripes, not one row, so
 * creations on many replicas do not queue on one row lock.
 */
export const LEDGER_STRIPES = 32;
export const LEDGER_PREFIX = '#ledger:';
const LEDGER_MOD = 1n << 256n;
export const LEDGER_MODULUS = LEDGER_MOD.toString();

export function ledgerTerm(key: string, chain: string): bigint {
  return BigInt(`0x${createHmac('sha256', key).update(`chain-ledger\n${chain}`).digest('hex')}`);
}

/** The stripe row a chain registers in (spread by a hash of its name; not secret). */
export function ledgerStripe(keyId: string, chain: string): string {
  const n = createHash('sha256').update(chain).digest().readUInt32BE(0) % LEDGER_STRIPES;
  return `${LEDGER_PREFIX}${keyId}:${n}`;
}

/**
 * False when the registered chains present (their '#mac:' row marks them, first_seq 1) do not add
 * up to the ledger of a held key: a registered chain was deleted whole, or the ledger was edited.
 */
export function ledgerHolds(
  rows: readonly ChainHead[],
  firstKey: ReadonlyMap<string, string>,
  byId: ReadonlyMap<string, string>,
): boolean {
  const stored = new Map<string, { sum: bigint; count: number }>();
  for (const r of rows) {
    if (!r.chain.startsWith(LEDGER_PREFIX) || r.key_id === null || !byId.has(r.key_id)) continue;
    const t = stored.get(r.key_id) ?? { sum: 0n, count: 0 };
    if (!/^\d+$/.test(r.link)) return false;
    stored.set(r.key_id, { sum: (t.sum + BigInt(r.link)) % LEDGER_MOD, count: t.count + r.seq });
  }
  const expected = new Map<string, { sum: bigint; count: number }>();
  for (const r of rows) {
    if (!r.chain.startsWith('#mac:') || r.first_seq !== 1) continue;
    const chain = r.chain.slice(5);
    const id = firstKey.get(chain);
    const key = id === undefined ? undefined : byId.get(id);
    if (key === undefined) continue; // registered under a key not held here: not judged
    const t = expected.get(id!) ?? { sum: 0n, count: 0 };
    expected.set(id!, { sum: (t.sum + ledgerTerm(key, chain)) % LEDGER_MOD, count: t.count + 1 });
  }
  for (const id of new Set([...stored.keys(), ...expected.keys()])) {
    const a = stored.get(id) ?? { sum: 0n, count: 0 };
    const b = expected.get(id) ?? { sum: 0n, count: 0 };
    if (a.sum !== b.sum || a.count !== b.count) return false;
  }
  return true;
}
