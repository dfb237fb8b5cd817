import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { AuditKeyring } from './state.audit-keys';
import { AUDIT_GENESIS_HASH } from './state.constants';
import type { AuditEntry, AuditHead, AuditInput } from './state.interface';
import { iso } from './state.rows';

/** The fields that are the link itself; every other field of an entry is covered by it. */
const LINK_FIELDS = new Set(['prev_hash', 'hash']);

/**
 * Chain rows in `audit_chains` whose name starts with '#' are bookkeeping, not workflow chains:
 * '#key:<id>' holds a key's check value, '#legacy' seals the unkeyed chain of 0.1.0, '#seq' is the
 * last seq handed out (sqlite).
 */
export const KEY_CHECK_CHAIN = (id: string) => `#key:${id}`;
export const LEGACY_SEAL_CHAIN = '#legacy';
/** '#mac:<chain>' holds the keyed MAC of a workflow chain's head row, so the head cannot be moved back. */
export const HEAD_MAC_CHAIN = (chain: string) => `#mac:${chain}`;
export const SEQ_CHAIN = '#seq';

/**
 * The MAC of a chain's head row: binds chain, chain_seq, seq, link and key id under the key, and
 * (since the chain ledger) whether the chain is registered in it, so that mark cannot be removed.
 * `registered` undefined: the form 0.2.0 wrote (verified for heads not moved since).
 */
export function headMac(
  key: string,
  h: Pick<ChainHead, 'chain' | 'chain_seq' | 'seq' | 'link' | 'key_id'>,
  registered?: boolean,
): string {
  const ledger = registered === undefined ? '' : `\nledger:${registered ? 1 : 0}`;
  return createHmac('sha256', key)
    .update(`chain-head\n${h.chain}\n${h.chain_seq}\n${h.seq}\n${h.link}\n${h.key_id ?? ''}${ledger}`)
    .digest('hex');
}

/** The MAC of the last seq handed out (sqlite's '#seq' row), so deleting whole chains shows. */
export function seqMac(key: string, seq: number): string {
  return createHmac('sha256', key).update(`last-seq\n${seq}`).digest('hex');
}

/**
 * 0.1.0's unkeyed link: SHA-256 hex over the fields in a fixed order. Kept to verify entries written
 * before the keyed chain (key_id null) up to the legacy head.
 */
export function auditHash(
  entry: Pick<
    AuditEntry,
    | 'seq'
    | 'at'
    | 'actor'
    | 'action'
    | 'workflow_id'
    | 'from_status'
    | 'to_status'
    | 'comment'
    | 'correlation_id'
    | 'prev_hash'
  >,
): string {
  const canonical = JSON.stringify([
    ['seq', entry.seq],
    ['at', entry.at],
    ['actor', entry.actor],
    ['action', entry.action],
    ['workflow_id', entry.workflow_id],
    ['from_status', entry.from_status],
    ['to_status', entry.to_status],
    ['comment', entry.comment],
    ['correlation_id', entry.correlation_id],
    ['prev_hash', entry.prev_hash],
  ]);
  return createHash('sha256').update(canonical).digest('hex');
}

/** JSON with object keys sorted at every depth, so equal content always gives equal text. */
function canonicalValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonicalValue);
  if (value && typeof value === 'object' && !(value instanceof Date))
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, canonicalValue((value as Record<string, unknown>)[k])]),
    );
  return value;
}

/**
 * Canonical JSON of every field of the entry except the link fields. Generic on purpose: a field a
 * later version adds is covered without editing this. Top-level null/absent fields are left out, so
 * a column added later (null on old rows) does not change the MAC of entries written before it.
 */
export function canonicalEntry(entry: Record<string, unknown>): string {
  const fields: Record<string, unknown> = {};
  for (const key of Object.keys(entry).sort()) {
    const v = entry[key];
    if (LINK_FIELDS.has(key) || v === null || v === undefined) continue;
    fields[key] = canonicalValue(v);
  }
  return JSON.stringify(fields);
}

/** The keyed link: HMAC-SHA256(key, prev link + "\n" + canonical entry), hex. */
export function auditLink(key: string, prev: string, entry: Record<string, unknown>): string {
  return createHmac('sha256', key)
    .update(prev + '\n' + canonicalEntry(entry))
    .digest('hex');
}

/** The MAC that seals the legacy (0.1.0) chain's head under a key, at the first keyed append. */
export function legacySeal(key: string, head: { seq: number; hash: string }): string {
  return createHmac('sha256', key).update(`legacy-head\n${head.seq}\n${head.hash}`).digest('hex');
}

export function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** A chain's last link (its head row in audit_chains). */
export interface ChainHead {
  chain: string;
  chain_seq: number;
  /** Global seq of the head entry, and of the chain's first entry. */
  seq: number;
  first_seq: number;
  link: string;
  key_id: string | null;
}

/**
 * Links `inputs` as the next entries of `chain` after `head` (null: a new chain), with the global
 * seqs the store handed out, under the keyring's current key. Runs inside the write that also moves
 * the head; the workflow's own version check keeps two writers off one chain.
 */
export function linkEntries(
  keys: AuditKeyring,
  chain: string,
  head: Pick<ChainHead, 'chain_seq' | 'link' | 'first_seq'> | null,
  seqs: number[],
  inputs: AuditInput[],
): { entries: AuditEntry[]; head: ChainHead } {
  const { id, key } = keys.current;
  let chainSeq = head?.chain_seq ?? 0;
  let prev = head?.link ?? AUDIT_GENESIS_HASH;
  const entries = inputs.map((input, i) => {
    const base: Omit<AuditEntry, 'hash' | 'prev_hash'> = {
      ...input,
      seq: seqs[i],
      at: iso(input.at)!,
      workflow_id: input.workflow_id ?? null,
      from_status: input.from_status ?? null,
      to_status: input.to_status ?? null,
      comment: input.comment ?? null,
      correlation_id: input.correlation_id ?? null,
      chain,
      chain_seq: ++chainSeq,
      key_id: id,
      actor_name: input.actor_name ?? null,
      details: input.details ?? null,
    };
    const entry: AuditEntry = { ...base, prev_hash: prev, hash: auditLink(key, prev, base) };
    prev = entry.hash;
    return entry;
  });
  const last = entries[entries.length - 1];
  return {
    entries,
    head: {
      chain,
      chain_seq: last.chain_seq!,
      seq: last.seq,
      first_seq: head?.first_seq ?? entries[0].seq,
      link: last.hash,
      key_id: id,
    },
  };
}

/** The anchor's view of an entry. */
export function headOf(e: AuditEntry): AuditHead {
  return { seq: e.seq, link: e.hash, chain: e.chain, chain_seq: e.chain_seq, key_id: e.key_id };
}

export { verifyChain, type VerifySource } from './state.audit-verify';
