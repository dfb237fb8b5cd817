import { createHmac } from 'node:crypto';

/** One HMAC key of the audit chain and the id entries record it under. */
export interface AuditKey {
  id: string;
  key: string;
}

/**
 * The keys the store links and verifies the audit chain with. `current` links new entries; `all`
 * (current first, then previous keys) verifies old ones. The key itself never reaches the database:
 * rows carry its id, and one check value per id (HMAC of a fixed label) tells a different key apart
 * from tampering.
 */
export interface AuditKeyring {
  readonly current: AuditKey;
  readonly all: readonly AuditKey[];
}

/**
 * Used only when nothing registered a keyring (stores opened outside the app, development). Public by
 * design: a chain keyed with it proves nothing; the app refuses it in production.
 */
export const DEVELOPMENT_AUDIT_KEY = 'mira-development-audit-key-not-for-production';

export const DEVELOPMENT_KEYRING: AuditKeyring = {
  current: { id: 'development', key: DEVELOPMENT_AUDIT_KEY },
  all: [{ id: 'development', key: DEVELOPMENT_AUDIT_KEY }],
};

/** A keyring from a current key and previous ones (ids must differ). */
export function auditKeyring(current: AuditKey, previous: readonly AuditKey[] = []): AuditKeyring {
  return { current, all: [current, ...previous.filter((k) => k.id !== current.id)] };
}

/** The check value stored for a key id: shows whether a configured key is the one that linked. */
export function auditKeyCheck(key: string): string {
  return createHmac('sha256', key).update('mira-audit-key-check').digest('hex');
}

/**
 * '#vouch:<by>:<for>' rows: key <by> vouches (HMAC under it) that <for> is a real key id of this
 * trail, and whether <for> is older (a key <by> took over from) or newer (its successor), so an entry
 * under an id the verifier does not hold is "not verifiable with these keys" (`unknown_key`) only
 * when a held key vouches for it; an id nobody vouches for was written by someone without any key
 * (`tampered`). Written when a key starts linking: the current key vouches for each previous key (and
 * for every id those vouched for as older), each previous key for the current one (newer). The
 * voucher is the one the row's name says, never its key_id column. Every vouch also fixes `since`
 * (row column seq, under the MAC): the last seq handed out when the current key started, so an
 * entry under the older id with a later seq, or under the newer id with that seq or an earlier one,
 * was relabelled. ('newer' rows before this release carry 0: they fix nothing.)
 */
export const VOUCH_PREFIX = '#vouch:';
export const vouchChain = (by: string, forId: string) => `${VOUCH_PREFIX}${by}:${forId}`;
export type VouchAge = 'older' | 'newer';

export function vouchMac(key: string, by: string, forId: string, age: VouchAge, since = 0): string {
  return createHmac('sha256', key).update(`vouch\n${by}\n${forId}\n${age}\n${since}`).digest('hex');
}

export interface VouchRow {
  chain: string;
  link: string;
  key_id: string;
  /** The last seq handed out when the current key of the rotation started linking. */
  seq: number;
}

type StoredVouch = { chain: string; link: string; seq?: number };

export function parseVouch(chain: string): { by: string; forId: string } | null {
  if (!chain.startsWith(VOUCH_PREFIX)) return null;
  const [by, forId, ...more] = chain.slice(VOUCH_PREFIX.length).split(':');
  return by && forId && more.length === 0 ? { by, forId } : null;
}

/** What key `key` (id `by`) says about `forId` in a vouch row, or null when its MAC does not verify. */
export function vouchAge(key: string, by: string, forId: string, row: StoredVouch): VouchAge | null {
  for (const age of ['older', 'newer'] as const)
    if (vouchMac(key, by, forId, age, Number(row.seq ?? 0)) === row.link) return age;
  return null;
}

/** The held keys that vouch for `id`, each with what it says (older / newer than itself). */
export function vouchersOf(
  byId: ReadonlyMap<string, string>,
  rows: readonly StoredVouch[],
  id: string,
): { by: string; age: VouchAge; since: number }[] {
  const out: { by: string; age: VouchAge; since: number }[] = [];
  for (const r of rows) {
    const v = parseVouch(r.chain);
    const key = v && v.forId === id ? byId.get(v.by) : undefined;
    const age = key === undefined ? null : vouchAge(key, v!.by, id, r);
    if (age) out.push({ by: v!.by, age, since: Number(r.seq ?? 0) });
  }
  return out;
}

/** True when a key of `keys` vouches for `id` with a MAC that verifies. */
export function isVouched(keys: AuditKeyring, rows: readonly StoredVouch[], id: string): boolean {
  return vouchersOf(new Map(keys.all.map((k) => [k.id, k.key])), rows, id).length > 0;
}

/**
 * The rows the current key writes when it starts linking (insert-if-absent), given the vouch rows
 * there and `since`, the last seq handed out so far.
 */
export function vouchRows(keys: AuditKeyring, existing: readonly StoredVouch[], since: number): VouchRow[] {
  const { id: cur, key } = keys.current;
  const out = new Map<string, VouchRow>();
  const add = (by: string, byKey: string, forId: string, age: VouchAge) =>
    by !== forId &&
    out.set(vouchChain(by, forId), {
      chain: vouchChain(by, forId),
      link: vouchMac(byKey, by, forId, age, since),
      key_id: by,
      seq: since,
    });
  const previous = keys.all.filter((k) => k.id !== cur);
  for (const p of previous) {
    add(cur, key, p.id, 'older');
    add(p.id, p.key, cur, 'newer');
  }
  // Forwarded: ids an older key vouched for as older stay vouched once that older key is dropped too.
  for (const r of existing) {
    const v = parseVouch(r.chain);
    const p = v && previous.find((k) => k.id === v.by);
    if (p && vouchAge(p.key, p.id, v!.forId, r) === 'older') add(cur, key, v!.forId, 'older');
  }
  return [...out.values()];
}
