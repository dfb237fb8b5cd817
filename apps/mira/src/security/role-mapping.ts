import type { MiraConfig } from '@mira/config';
import { API_ROLES } from './security.config';
import type { ApiRole } from './caller-identity';

type OidcConfig = MiraConfig['auth']['oidc'];

/** A claim by dotted path (`realm_access.roles`), as providers nest them. */
export function claimAt(claims: Record<string, unknown>, path: string): unknown {
  if (path in claims) return claims[path];
  let value: unknown = claims;
  for (const part of path.split('.')) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

/**
 * Mira roles from the provider's group/role values (`roles_claim`, a string, a list or a
 * space-separated string): `roles_map` first; otherwise a value naming a Mira role is that role.
 */
export function mapRoles(claims: Record<string, unknown>, oidc: OidcConfig): ApiRole[] {
  const raw = claimAt(claims, oidc.roles_claim);
  const values = Array.isArray(raw) ? raw : typeof raw === 'string' ? raw.split(/\s+/) : [];
  const roles = new Set<ApiRole>();
  for (const v of values) {
    if (typeof v !== 'string' || v === '') continue;
    const mapped = Object.hasOwn(oidc.roles_map, v) ? oidc.roles_map[v] : undefined;
    if (mapped) mapped.forEach((r) => roles.add(r));
    else if ((API_ROLES as readonly string[]).includes(v)) roles.add(v as ApiRole);
  }
  return API_ROLES.filter((r) => roles.has(r));
}

/** The actor name: the first of `actor_claims` that is a non-empty string (or number). */
export function actorName(claims: Record<string, unknown>, oidc: OidcConfig): string | null {
  for (const c of oidc.actor_claims) {
    const v = claimAt(claims, c);
    if ((typeof v === 'string' && v.trim() !== '') || typeof v === 'number') return String(v).slice(0, 200);
  }
  return null;
}
