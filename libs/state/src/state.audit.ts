import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { auditKeyCheck, isVouched, type AuditKeyring } from './state.audit-keys';
import { ledgerHolds } from './state.audit-ledger';
import { AUDIT_GENESIS_HASH } from './state.constants';
import type { AuditEntry, AuditHead, AuditInput, AuditVerification } from './state.interface';
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

/** The MAC of a chain's head row: binds chain, chain_seq, seq, link and key id under the key. */
export function headMac(
  key: string,
  h: Pick<ChainHead, 'chain' | 'chain_seq' | 'seq' | 'link' | 'key_id'>,
): string {
  return createHmac('sha256', key)
    .update(`chain-head\n${h.chain}\n${h.chain_seq}\n${h.seq}\n${h.link}\n${h.key_id ?? ''}`)
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

function same(a: string, b: string): boolean {
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

export interface VerifySource {
  /** Entries after `afterSeq`, seq ascending, at most `limit`. */
  readAfter(afterSeq: number, limit: number): Promise<AuditEntry[]>;
  /** Every row of audit_chains (heads and bookkeeping). */
  chains(): Promise<ChainHead[]>;
  /** 0.1.0's single head (audit_head), null when it never had entries. */
  legacyHead(): Promise<{ seq: number; hash: string } | null>;
  /**
   * True where seqs never have gaps (sqlite: the '#seq' row, keyed, is the last seq handed out);
   * postgres sequences skip numbers on rollback, so there a gap proves nothing.
   */
  contiguous?: boolean;
}

const bad = (entries: number, first_bad_seq: number, reason: AuditVerification['reason']) =>
  ({ ok: false, entries, first_bad_seq, reason }) as AuditVerification;

/**
 * Walks every entry in seq order. Legacy entries (key_id null, 0.1.0) must come first, with
 * contiguous seqs from 1, each SHA-256-linked to the one before, ending at the legacy head, which a
 * keyed seal ('#legacy') fixes once keyed entries exist. Keyed entries form one chain per workflow:
 * contiguous chain_seq, prev_hash = the chain's previous link, hash = HMAC under the key their key_id
 * names; each chain must end at its head row. The rows naming keys prove nothing by themselves: a
 * configured key is `key_mismatch` only when it verifies neither its check value nor any entry under
 * its id (else the check row was altered: `tampered`); an entry under an id not configured is
 * `unknown_key` only when a held key vouches for that id and no held key verifies the entry under
 * its own id (else the id was invented or changed: `tampered`). See docs/governance.md.
 */
export async function verifyChain(
  source: VerifySource,
  keys: AuditKeyring,
  batch = 500,
): Promise<AuditVerification> {
  const rows = await source.chains();
  const byId = new Map(keys.all.map((k) => [k.id, k.key]));
  // Configured ids whose stored check value differs: a wrong key, or an altered check row. The
  // entries decide: one that verifies under the configured key proves the key right (tampering).
  const suspect = new Map<string, { failedAt: number | null }>();
  for (const r of rows) {
    if (!r.chain.startsWith('#key:')) continue;
    const id = r.chain.slice(5);
    const key = byId.get(id);
    if (key !== undefined && !same(auditKeyCheck(key), r.link)) suspect.set(id, { failedAt: null });
  }
  // An id no held key vouches for was never a key of this trail: invented by a writer without one.
  const unknown = (entries: number, seq: number, id: string): AuditVerification =>
    isVouched(keys, rows, id)
      ? { ok: false, entries, first_bad_seq: seq, reason: 'unknown_key', key_id: id }
      : bad(entries, seq, 'tampered');
  const heads = new Map(rows.filter((r) => !r.chain.startsWith('#')).map((r) => [r.chain, r]));
  const seen = new Map<string, { chain_seq: number; link: string; seq: number }>();
  const firstKey = new Map<string, string>();
  let legacy = { seq: 0, hash: AUDIT_GENESIS_HASH };
  let keyedSeen = false;
  let entries = 0;
  let after = 0;
  let gapAt = Infinity;
  let pendingMismatch = false;
  for (;;) {
    const page = await source.readAfter(after, batch);
    for (const e of page) {
      entries++;
      if (source.contiguous && e.seq !== after + 1 && gapAt === Infinity) gapAt = e.seq;
      after = e.seq;
      const { hash, ...rest } = e;
      if (e.key_id === null || e.key_id === undefined) {
        // 0.1.0's single chain: no gaps, SHA-256 links, and nothing unkeyed after a keyed entry.
        if (keyedSeen || e.seq !== legacy.seq + 1 || e.prev_hash !== legacy.hash || auditHash(rest) !== hash)
          return bad(entries, e.seq, 'tampered');
        legacy = { seq: e.seq, hash };
        continue;
      }
      keyedSeen = true;
      const key = byId.get(e.key_id);
      if (key === undefined) {
        // The MAC covers key_id: an entry a held key linked, its key id changed, verifies under
        // that key with its real id.
        for (const k of keys.all)
          if (same(auditLink(k.key, e.prev_hash, { ...rest, key_id: k.id }), hash))
            return bad(entries, e.seq, 'tampered');
        // Vouched for only by a configured key in doubt: judged once that key is (key_mismatch
        // when it verifies nothing of its own, tampered as soon as it does).
        if (!isVouched(keys, rows, e.key_id) && vouchedByDoubted(rows, suspect, e.key_id)) {
          pendingMismatch = true;
          seen.set(e.chain ?? '', { chain_seq: e.chain_seq ?? 0, link: hash, seq: e.seq });
          continue;
        }
        return unknown(entries, e.seq, e.key_id);
      }
      const chain = e.chain ?? '';
      const last = seen.get(chain) ?? { chain_seq: 0, link: AUDIT_GENESIS_HASH, seq: 0 };
      if (e.chain_seq !== last.chain_seq + 1 || e.prev_hash !== last.link)
        return bad(entries, e.seq, 'tampered');
      const macOk = same(auditLink(key, last.link, rest), hash);
      const doubt = suspect.get(e.key_id);
      if (doubt && macOk) return bad(entries, doubt.failedAt ?? e.seq, 'tampered');
      if (doubt) doubt.failedAt ??= e.seq;
      else if (!macOk) return bad(entries, e.seq, 'tampered');
      seen.set(chain, { chain_seq: e.chain_seq, link: hash, seq: e.seq });
      if (e.chain_seq === 1) firstKey.set(chain, e.key_id);
    }
    if (page.length < batch) break;
  }
  // Ids configured with another key (every entry under them fails, as does their check value):
  // what they linked cannot be judged, so their head, seal and seq MACs are not judged either.
  const mismatched = new Set(suspect.keys());
  if (pendingMismatch) return { ok: false, entries, reason: 'key_mismatch', key_id: [...mismatched][0] };
  // The ends: the legacy head and its seal, then every chain against its head row.
  let firstBad = Infinity;
  const legacyHead = await source.legacyHead();
  if (legacyHead && (legacyHead.seq !== legacy.seq || legacyHead.hash !== legacy.hash))
    firstBad = legacy.seq + 1;
  const seal = rows.find((r) => r.chain === LEGACY_SEAL_CHAIN);
  // Legacy entries or a seal without the frozen head: the head was deleted to hide a rewrite.
  if (!legacyHead && (legacy.seq > 0 || seal)) return bad(entries, 1, 'tampered');
  if (seal && legacyHead && !mismatched.has(seal.key_id ?? '')) {
    const key = seal.key_id === null ? undefined : byId.get(seal.key_id);
    if (key === undefined) return unknown(entries, 1, seal.key_id ?? '');
    // The legacy rows were rewritten (and re-hashed) after the seal: its MAC no longer matches.
    if (!same(legacySeal(key, legacyHead), seal.link)) return bad(entries, 1, 'tampered');
  } else if (legacyHead && keyedSeen && !seal) return bad(entries, 1, 'tampered');
  const macs = new Map(rows.filter((r) => r.chain.startsWith('#mac:')).map((r) => [r.chain.slice(5), r]));
  for (const [chain, head] of heads) {
    const got = seen.get(chain);
    // A head row moved back to an earlier entry (tail cut) no longer matches its keyed MAC.
    const mac = macs.get(chain);
    const macKey = mac?.key_id ? byId.get(mac.key_id) : undefined;
    const headOk =
      (mac?.key_id != null && mismatched.has(mac.key_id)) ||
      (mac !== undefined && macKey !== undefined && same(headMac(macKey, head), mac.link));
    if (!got) firstBad = Math.min(firstBad, head.first_seq);
    else if (!headOk || got.chain_seq !== head.chain_seq || got.link !== head.link)
      firstBad = Math.min(firstBad, got.seq + 1);
  }
  for (const [chain, got] of seen) if (!heads.has(chain)) firstBad = Math.min(firstBad, got.seq);
  for (const chain of macs.keys())
    if (!heads.has(chain)) firstBad = Math.min(firstBad, seen.get(chain)?.seq ?? 1);
  if (source.contiguous) {
    // Whole chains deleted (entries, head and MAC rows): a gap in seq, or fewer seqs than handed out.
    const last = rows.find((r) => r.chain === SEQ_CHAIN);
    const seqKey = last?.key_id ? byId.get(last.key_id) : undefined;
    const judged = !(last?.key_id && mismatched.has(last.key_id));
    if (keyedSeen && judged && (!last || !seqKey || !same(seqMac(seqKey, last.seq), last.link)))
      return bad(entries, 1, 'tampered');
    if (last && after < last.seq) firstBad = Math.min(firstBad, after + 1);
    firstBad = Math.min(firstBad, gapAt);
  }
  if (firstBad !== Infinity) return bad(entries, firstBad, 'truncated');
  // Which chain went cannot be told from a sum: no first_bad_seq.
  if (!ledgerHolds(rows, firstKey, new Map([...byId].filter(([id]) => !mismatched.has(id)))))
    return { ok: false, entries, reason: 'truncated' };
  const [wrong] = mismatched;
  if (wrong !== undefined) return { ok: false, entries, reason: 'key_mismatch', key_id: wrong };
  return { ok: true, entries };
}

/** True when a vouch row for `id` names, as its voucher, a configured key whose check value differs. */
function vouchedByDoubted(
  rows: readonly ChainHead[],
  suspect: ReadonlyMap<string, unknown>,
  id: string,
): boolean {
  return rows.some(
    (r) => r.chain.endsWith(`:${id}`) && r.chain.startsWith('#vouch:') && suspect.has(r.key_id ?? ''),
  );
}

/** The anchor's view of an entry. */
export function headOf(e: AuditEntry): AuditHead {
  return { seq: e.seq, link: e.hash, chain: e.chain, chain_seq: e.chain_seq, key_id: e.key_id };
}
