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
