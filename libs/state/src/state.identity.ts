import { createHash } from 'node:crypto';

// Stable identities and the data binding, shared by both dialects and by libs/agents.

/** The actor of what the service does by itself; provider and key ids are always prefixed. */
export const SYSTEM_ID = 'system';
/** Names that stayed as they were when actors became stable ids (migration 5). */
const UNPREFIXED = new Set([SYSTEM_ID, 'anonymous']);

/**
 * The stable id of an actor recorded before ids existed (a display name): `system` and
 * `anonymous` stay, a position-named plain key (`key-3`) is `key:key-3`, anything else is
 * `legacy:<name>` (its source can no longer be told). Migration 5 applies the same rule in SQL.
 */
export function legacyActorId(name: string): string {
  if (UNPREFIXED.has(name)) return name;
  if (/^key-[0-9]+$/.test(name)) return `key:${name}`;
  return `legacy:${name}`;
}

/** JSON with object keys sorted at every level: one text per value, whatever the key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null)
    return `{${Object.keys(value)
      .sort()
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(value) ?? 'null';
}

/** SHA-256 hex of the canonical JSON of a workflow's data: what an approval is bound to. */
export function dataHash(data: unknown): string {
  return createHash('sha256').update(canonicalJson(data)).digest('hex');
}
