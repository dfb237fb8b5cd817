import {
  auditHash,
  auditLink,
  headMac,
  legacySeal,
  same,
  seqMac,
  LEGACY_SEAL_CHAIN,
  SEQ_CHAIN,
  type ChainHead,
} from './state.audit';
import { auditKeyCheck, parseVouch, vouchAge, vouchersOf, type AuditKeyring } from './state.audit-keys';
import {
  LEDGER_START,
  ledgerHolds,
  ledgerStarted,
  ledgerStartMac,
  type RegisteredChain,
} from './state.audit-ledger';
import { AUDIT_GENESIS_HASH } from './state.constants';
import type { AuditEntry, AuditVerification } from './state.interface';

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
  /** True where new chains register in the keyed chain ledger (postgres). */
  ledger?: boolean;
}

const bad = (entries: number, first_bad_seq: number, reason: AuditVerification['reason']) =>
  ({ ok: false, entries, first_bad_seq, reason }) as AuditVerification;

interface Seen {
  chain_seq: number;
  link: string;
  seq: number;
  key_id: string;
}

/** How a '#mac:' row verifies under `key`: registered / unregistered (this release), v1 (0.2.0), null: not. */
function macForm(key: string, head: ChainHead, mac: ChainHead): 'registered' | 'unregistered' | 'v1' | null {
  if (mac.first_seq === 1) return same(headMac(key, head, true), mac.link) ? 'registered' : null;
  if (same(headMac(key, head, false), mac.link)) return 'unregistered';
  return same(headMac(key, head), mac.link) ? 'v1' : null;
}

/**
 * True when some keyed row verifies under `key` as id `id` (its vouch rows, its ledger start, a head
 * MAC, the seq MAC, the legacy seal): the key is the one that wrote them, whatever its check row says.
 */
function provesKey(
  key: string,
  id: string,
  rows: readonly ChainHead[],
  heads: ReadonlyMap<string, ChainHead>,
  legacyHead: { seq: number; hash: string } | null,
): boolean {
  return rows.some((r) => {
    const v = parseVouch(r.chain);
    if (v) return v.by === id && vouchAge(key, id, v.forId, r) !== null;
    if (r.chain === LEDGER_START(id)) return same(ledgerStartMac(key, id), r.link);
    if (r.chain.startsWith('#mac:')) {
      const head = heads.get(r.chain.slice(5));
      return head !== undefined && macForm(key, head, r) !== null;
    }
    if (r.chain === SEQ_CHAIN) return same(seqMac(key, r.seq), r.link);
    return r.chain === LEGACY_SEAL_CHAIN && legacyHead !== null && same(legacySeal(key, legacyHead), r.link);
  });
}

/**
 * Walks every entry in seq order. Legacy entries (key_id null, 0.1.0) must come first, with
 * contiguous seqs from 1, each SHA-256-linked to the one before, ending at the legacy head, which a
 * keyed seal ('#legacy') fixes once keyed entries exist. Keyed entries form one chain per workflow:
 * contiguous chain_seq, prev_hash = the chain's previous link, hash = HMAC under the key their key_id
 * names; each chain must end at its head row (keyed by its last entry's key). Rows naming keys prove
 * nothing by themselves, and no key_id column decides which check is skipped: a configured key is
 * `key_mismatch` only when nothing keyed verifies under it (else its check row was altered:
 * `tampered`); an entry under an id not held is `unknown_key` only when a held key vouches for the
 * id, the id is not older than a held key that linked before it, and nothing else is wrong (the walk
 * goes on). See docs/governance.md.
 */
export async function verifyChain(
  source: VerifySource,
  keys: AuditKeyring,
  batch = 500,
): Promise<AuditVerification> {
  const rows = await source.chains();
  const legacyHead = await source.legacyHead();
  const byId = new Map(keys.all.map((k) => [k.id, k.key]));
  const heads = new Map(rows.filter((r) => !r.chain.startsWith('#')).map((r) => [r.chain, r]));
  // Configured ids whose stored check value differs: a wrong key, or an altered check row.
  const suspect = new Map<string, { failedAt: number | null }>();
  for (const r of rows) {
    const key = r.chain.startsWith('#key:') ? byId.get(r.chain.slice(5)) : undefined;
    if (key === undefined || same(auditKeyCheck(key), r.link)) continue;
    // Anything keyed that verifies under it proves the key right: the check row was altered.
    if (provesKey(key, r.chain.slice(5), rows, heads, legacyHead)) return bad(0, 1, 'tampered');
    suspect.set(r.chain.slice(5), { failedAt: null });
  }
  const good = new Map([...byId].filter(([id]) => !suspect.has(id)));
  const seen = new Map<string, Seen>();
  // Once per id: a dropped key may have linked most of the trail.
  const vouchCache = new Map<string, ReturnType<typeof vouchersOf>>();
  const vouchersFor = (id: string) => {
    if (!vouchCache.has(id)) vouchCache.set(id, vouchersOf(good, rows, id));
    return vouchCache.get(id)!;
  };
  const doubtedCache = new Map<string, string | undefined>();
  const doubtedVoucher = (id: string) => {
    if (!doubtedCache.has(id))
      doubtedCache.set(
        id,
        rows.map((r) => parseVouch(r.chain)).find((v) => v !== null && v.forId === id && suspect.has(v.by))
          ?.by,
      );
    return doubtedCache.get(id);
  };
  const firstKey = new Map<string, string>();
  const firstSeqOfKey = new Map<string, number>();
  let unknownAt: { entries: number; seq: number; id: string } | null = null;
  const pending: { entries: number; seq: number; by: string }[] = [];
  let legacy = { seq: 0, hash: AUDIT_GENESIS_HASH };
  let lastKeyId: string | null = null;
  let entries = 0;
  let after = 0;
  let gapAt = Infinity;
  for (;;) {
    const page = await source.readAfter(after, batch);
    for (const e of page) {
      entries++;
      if (source.contiguous && e.seq !== after + 1 && gapAt === Infinity) gapAt = e.seq;
      after = e.seq;
      const { hash, ...rest } = e;
      if (e.key_id === null || e.key_id === undefined) {
        // 0.1.0's single chain: no gaps, SHA-256 links, and nothing unkeyed after a keyed entry.
        if (
          lastKeyId !== null ||
          e.seq !== legacy.seq + 1 ||
          e.prev_hash !== legacy.hash ||
          auditHash(rest) !== hash
        )
          return bad(entries, e.seq, 'tampered');
        legacy = { seq: e.seq, hash };
        continue;
      }
      const chain = e.chain ?? '';
      const last = seen.get(chain) ?? { chain_seq: 0, link: AUDIT_GENESIS_HASH, seq: 0, key_id: '' };
      if (e.chain_seq !== last.chain_seq + 1 || e.prev_hash !== last.link)
        return bad(entries, e.seq, 'tampered');
      const key = byId.get(e.key_id);
      const macOk = key !== undefined && same(auditLink(key, last.link, rest), hash);
      // The MAC covers key_id: an entry a held key linked, its key id changed, verifies under that
      // key with its real id.
      if (!macOk)
        for (const k of keys.all)
          if (k.id !== e.key_id && same(auditLink(k.key, e.prev_hash, { ...rest, key_id: k.id }), hash))
            return bad(entries, e.seq, 'tampered');
      const doubt = suspect.get(e.key_id);
      if (key === undefined) {
        const vouchers = vouchersFor(e.key_id);
        if (vouchers.length > 0) {
          // Key epochs: an id a held key took over from cannot link after that key started (the
          // last seq its vouch fixed) nor after its first entry; a successor's entries all come
          // after it started (a replica not rotated yet links only under the older id).
          const later = (v: { by: string; since: number }) =>
            e.seq > v.since || (firstSeqOfKey.get(v.by) ?? Infinity) < e.seq;
          if (vouchers.some((v) => (v.age === 'older' ? later(v) : e.seq <= v.since)))
            return bad(entries, e.seq, 'tampered');
          unknownAt ??= { entries, seq: e.seq, id: e.key_id };
        } else {
          // Vouched for (by the row's name) only by a configured key in doubt: judged at the end.
          const by = doubtedVoucher(e.key_id);
          if (by === undefined) return bad(entries, e.seq, 'tampered');
          pending.push({ entries, seq: e.seq, by });
        }
      } else if (doubt) {
        if (macOk) return bad(entries, doubt.failedAt ?? e.seq, 'tampered');
        doubt.failedAt ??= e.seq;
      } else if (!macOk) return bad(entries, e.seq, 'tampered');
      if (!firstSeqOfKey.has(e.key_id)) firstSeqOfKey.set(e.key_id, e.seq);
      seen.set(chain, { chain_seq: e.chain_seq!, link: hash, seq: e.seq, key_id: e.key_id });
      if (e.chain_seq === 1) firstKey.set(chain, e.key_id);
      lastKeyId = e.key_id;
    }
    if (page.length < batch) break;
  }
  // A key in doubt that linked entries (or vouches for ids) must itself be vouched for by a held key
  // that linked, if there is one: otherwise a writer planted its check row to hide edits.
  const linkedGood = [...firstSeqOfKey.keys()].some((id) => good.has(id));
  const real = (id: string) => !linkedGood || vouchersFor(id).length > 0;
  for (const p of pending)
    if (suspect.get(p.by)!.failedAt === null || !real(p.by)) return bad(p.entries, p.seq, 'tampered');
  for (const [id, d] of suspect)
    if (d.failedAt !== null && !real(id)) return bad(entries, d.failedAt, 'tampered');
  // What only a key in doubt or not held linked cannot be judged; everything else is.
  const judged = (id: string | null) => id !== null && good.has(id);
  let firstBad = Infinity;
  let tamperedAt = Infinity;
  if (legacyHead && (legacyHead.seq !== legacy.seq || legacyHead.hash !== legacy.hash))
    firstBad = legacy.seq + 1;
  const seal = rows.find((r) => r.chain === LEGACY_SEAL_CHAIN);
  // Legacy entries or a seal without the frozen head: the head was deleted to hide a rewrite.
  if (!legacyHead && (legacy.seq > 0 || seal)) return bad(entries, 1, 'tampered');
  const firstKeyed = [...firstSeqOfKey].sort((a, b) => a[1] - b[1])[0]?.[0] ?? null;
  if (seal && legacyHead) {
    // The legacy rows rewritten (and re-hashed) after the seal: its MAC no longer matches any key.
    const sealed = [...good.values()].some((k) => same(legacySeal(k, legacyHead), seal.link));
    if (!sealed && (firstKeyed === null || judged(firstKeyed))) return bad(entries, 1, 'tampered');
  } else if (legacyHead && lastKeyId !== null && !seal) return bad(entries, 1, 'tampered');
  const macs = new Map(rows.filter((r) => r.chain.startsWith('#mac:')).map((r) => [r.chain.slice(5), r]));
  const registered: RegisteredChain[] = [];
  const v2Keys = new Set<string>();
  for (const [chain, head] of heads) {
    const got = seen.get(chain);
    if (!got) {
      firstBad = Math.min(firstBad, head.first_seq);
      continue;
    }
    // The head names another key than its last entry: that entry's key id was changed.
    if (head.key_id !== got.key_id) tamperedAt = Math.min(tamperedAt, got.seq);
    if (got.chain_seq !== head.chain_seq || got.link !== head.link || got.seq !== head.seq) {
      firstBad = Math.min(firstBad, got.seq + 1);
      continue;
    }
    const mac = macs.get(chain);
    const reg = () => registered.push({ chain, key_id: firstKey.get(chain), ordinal: mac!.seq });
    // A head moved back to an earlier entry (tail cut) no longer matches its keyed MAC, which is
    // judged with the key of the chain's last entry (never the MAC row's key_id column).
    if (!judged(got.key_id)) {
      if (mac?.first_seq === 1) reg();
      continue;
    }
    const form = mac ? macForm(good.get(got.key_id)!, head, mac) : null;
    if (form === null) firstBad = Math.min(firstBad, got.seq + 1);
    else if (form !== 'v1') v2Keys.add(got.key_id);
    if (form === 'registered') reg();
  }
  for (const [chain, got] of seen) if (!heads.has(chain)) firstBad = Math.min(firstBad, got.seq);
  for (const chain of macs.keys())
    if (!heads.has(chain)) firstBad = Math.min(firstBad, seen.get(chain)?.seq ?? 1);
  if (source.contiguous && lastKeyId !== null) {
    // Whole chains deleted (entries, head and MAC rows): a gap in seq, or fewer seqs than handed out.
    const last = rows.find((r) => r.chain === SEQ_CHAIN);
    if (!last) return bad(entries, 1, 'tampered');
    if (judged(lastKeyId) && ![...good.values()].some((k) => same(seqMac(k, last.seq), last.link)))
      return bad(entries, 1, 'tampered');
    if (after > last.seq) tamperedAt = Math.min(tamperedAt, last.seq + 1);
    if (after < last.seq) firstBad = Math.min(firstBad, after + 1);
    firstBad = Math.min(firstBad, gapAt);
  }
  if (tamperedAt !== Infinity) return bad(entries, tamperedAt, 'tampered');
  if (firstBad !== Infinity) return bad(entries, firstBad, 'truncated');
  if (source.ledger) {
    // Which chain went cannot be told from a digest: no first_bad_seq. A key that wrote head MACs of
    // this release started a ledger: without its keyed start row the ledger was removed.
    if (
      !ledgerHolds(rows, registered, good) ||
      [...v2Keys].some((id) => !ledgerStarted(rows, id, good.get(id)!))
    )
      return { ok: false, entries, reason: 'truncated' };
  }
  const [wrong] = suspect.keys();
  if (wrong !== undefined) return { ok: false, entries, reason: 'key_mismatch', key_id: wrong };
  if (unknownAt)
    return {
      ok: false,
      entries: unknownAt.entries,
      first_bad_seq: unknownAt.seq,
      reason: 'unknown_key',
      key_id: unknownAt.id,
    };
  return { ok: true, entries };
}
