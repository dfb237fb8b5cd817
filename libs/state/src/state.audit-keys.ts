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
 * trail, so an entry under an id the verifier does not hold is "not verifiable with these keys"
 * (`unknown_key`) only when a held key vouches for it; an id nobody vouches for was written by
 * someone without any key (`tampered`). Written when a key starts linking: the current key vouches
 * for each previous key (and for every id those vouched for), each previous key for the current one.
 */
export const VOUCH_PREFIX = '#vouch:';
export const vouchChain = (by: string, forId: string) => `${VOUCH_PREFIX}${by}:${forId}`;

export function vouchMac(key: string, by: string, forId: string): string {
  return createHmac('sha256', key).update(`vouch\n${by}\n${forId}`).digest('hex');
}

export interface VouchRow {
  chain: string;
  link: string;
  key_id: string;
}

function parseVouch(chain: string): { by: string; forId: string } | null {
  if (!chain.startsWith(VOUCH_PREFIX)) return null;
  const [by, forId] = chain.slice(VOUCH_PREFIX.length).split(':');
  return by && forId ? { by, forId } : null;
}

/** True when a key of `keys` vouches for `id` with a MAC that verifies. */
export function isVouched(
  keys: AuditKeyring,
  rows: readonly { chain: string; link: string }[],
  id: string,
): boolean {
  const byId = new Map(keys.all.map((k) => [k.id, k.key]));
  return rows.some((r) => {
    const v = parseVouch(r.chain);
    const key = v && v.forId === id ? byId.get(v.by) : undefined;
    return key !== undefined && vouchMac(key, v!.by, id) === r.link;
  });
}

/** The rows the current key writes when it starts linking (insert-if-absent), given the vouch rows there. */
export function vouchRows(
  keys: AuditKeyring,
  existing: readonly { chain: string; link: string }[],
): VouchRow[] {
  const { id: cur, key } = keys.current;
  const out = new Map<string, VouchRow>();
  const add = (by: string, byKey: string, forId: string) =>
    by !== forId &&
    out.set(vouchChain(by, forId), {
      chain: vouchChain(by, forId),
      link: vouchMac(byKey, by, forId),
      key_id: by,
    });
  const previous = keys.all.filter((k) => k.id !== cur);
  for (const p of previous) {
    add(cur, key, p.id);
    add(p.id, p.key, cur);
  }
  // Forwarded: ids an older key vouched for stay vouched once that older key is dropped too.
  for (const r of existing) {
    const v = parseVouch(r.chain);
    const p = v && previous.find((k) => k.id === v.by);
    if (p && vouchMac(p.key, p.id, v!.forId) === r.link) add(cur, key, v!.forId);
  }
  return [...out.values()];
}
