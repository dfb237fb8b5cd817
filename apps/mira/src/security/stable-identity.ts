// Stable identities `(source, subject)`: every rule compares these, people read display names.
// Every id a caller can get is prefixed by its source, so no provider user or key name can be
// `system` or `anonymous` (the service's own, unprefixed ids), nor pass for another source.

/** An API key: its configured name (never the key). */
export function apiKeyId(name: string): string {
  return `key:${name}`;
}

/**
 * A token or session of the OIDC provider: the issuer's host (port included) and the `sub`, the one
 * claim a provider promises never to reassign. The display name (preferred_username, ...) can
 * change or repeat; the id does not.
 */
export function oidcSubjectId(issuer: string, sub: string): string {
  let host: string;
  try {
    host = new URL(issuer).host;
  } catch {
    host = issuer;
  }
  return `oidc:${host}:${sub}`;
}

/** The `sub` of a claim set, or null when it has none a provider could stand behind. */
export function subjectOf(claims: Record<string, unknown>): string | null {
  const sub = claims.sub;
  return typeof sub === 'string' && sub.trim() !== '' ? sub : null;
}

/** A name claimed with X-Mira-Actor in open development mode (no credentials configured at all). */
export function claimedId(name: string): string {
  return `dev:${name}`;
}
