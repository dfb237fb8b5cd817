import { createHash, createHmac } from 'node:crypto';
import type { ChainHead } from './state.audit';

/**
 * The chain ledger (postgres, where seqs have gaps by design). Each new chain registers, in the
 * statement that creates it, in one of LEDGER_STRIPES rows '#ledger:<key id>:<n>': the database
 * folds the chain's keyed term HMAC(key, "chain-ledger\n" + chain) into the stripe's digest
 * (`link` = SHA-256(link || term), hex) and counts it (`seq`); the chain's '#mac:' row records that
 * it is registered (first_seq 1, under the head MAC) and its place in the stripe (seq: the count the
 * fold returned). A chain deleted whole leaves its term inside every later digest of its stripe: to
 * take it out one needs the terms of the chains after it (keyed), and two reads of a stripe around a
 * creation show a digest, not the term. Stripes, not one row, so creations on many replicas do not
 * queue on one row lock. What remains (a stripe put back to an earlier copy with every chain
 * registered in it since deleted) shows only against the counts the anchor publishes.
 */
export const LEDGER_STRIPES = 32;
export const LEDGER_PREFIX = '#ledger:';
export const LEDGER_ZERO = '0'.repeat(64);
/** The keyed row each key writes when it starts linking: a trail with v2 head MACs had a ledger. */
export const LEDGER_START = (keyId: string) => `${LEDGER_PREFIX}${keyId}:start`;

export function ledgerTerm(key: string, chain: string): string {
  return createHmac('sha256', key).update(`chain-ledger\n${chain}`).digest('hex');
}

export function ledgerStartMac(key: string, keyId: string): string {
  return createHmac('sha256', key).update(`ledger-start\n${keyId}`).digest('hex');
}

/** One fold of a stripe, as the database computes it: SHA-256 over the digest bytes and the term bytes. */
export function ledgerStep(digest: string, term: string): string {
  return createHash('sha256')
    .update(Buffer.from(digest, 'hex'))
    .update(Buffer.from(term, 'hex'))
    .digest('hex');
}

/** The stripe row a chain registers in (spread by a hash of its name; not secret). */
export function ledgerStripe(keyId: string, chain: string): string {
  const n = createHash('sha256').update(chain).digest().readUInt32BE(0) % LEDGER_STRIPES;
  return `${LEDGER_PREFIX}${keyId}:${n}`;
}

/** The key id a stripe row belongs to, from its name (never from its key_id column); null: not a stripe. */
function stripeKeyId(chain: string): string | null {
  if (!chain.startsWith(LEDGER_PREFIX)) return null;
  const rest = chain.slice(LEDGER_PREFIX.length);
  const cut = rest.lastIndexOf(':');
  return cut > 0 && /^\d+$/.test(rest.slice(cut + 1)) ? rest.slice(0, cut) : null;
}

/** A chain its head MAC says is registered: the key of its first entry, its place in its stripe. */
export interface RegisteredChain {
  chain: string;
  key_id: string | undefined;
  ordinal: number;
}

/**
 * False when the registered chains present do not fold to the stripes of the held keys `byId`:
 * a registered chain was deleted whole, a stripe row deleted or edited. Stripes and chains of keys
 * not in `byId` are not judged.
 */
export function ledgerHolds(
  rows: readonly ChainHead[],
  registered: readonly RegisteredChain[],
  byId: ReadonlyMap<string, string>,
): boolean {
  const stripes = new Map<string, ChainHead>();
  for (const r of rows) {
    const id = stripeKeyId(r.chain);
    if (id !== null && byId.has(id)) stripes.set(r.chain, r);
  }
  const expected = new Map<string, RegisteredChain[]>();
  for (const c of registered) {
    if (c.key_id === undefined || !byId.has(c.key_id)) continue;
    const name = ledgerStripe(c.key_id, c.chain);
    // Pushed in place: copying the stripe's list per chain made verify quadratic in the chains.
    let chains = expected.get(name);
    if (!chains) expected.set(name, (chains = []));
    chains.push(c);
  }
  for (const [name, chains] of expected) {
    const row = stripes.get(name);
    // A registered chain's stripe row missing: deleted (with whatever it held).
    if (!row || row.seq !== chains.length) return false;
    const key = byId.get(chains[0].key_id!)!;
    const digest = [...chains]
      .sort((a, b) => a.ordinal - b.ordinal)
      .reduce((d, c) => ledgerStep(d, ledgerTerm(key, c.chain)), LEDGER_ZERO);
    if (row.link !== digest) return false;
  }
  // A stripe that counts chains none of which is present.
  for (const [name, row] of stripes)
    if (!expected.has(name) && (row.seq !== 0 || row.link !== LEDGER_ZERO)) return false;
  return true;
}

/** True when the ledger start row of key `id` is present and verifies. */
export function ledgerStarted(rows: readonly ChainHead[], id: string, key: string): boolean {
  const row = rows.find((r) => r.chain === LEDGER_START(id));
  return row !== undefined && row.link === ledgerStartMac(key, id);
}
