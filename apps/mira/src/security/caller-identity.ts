import type { API_ROLES } from './security.config';

export type ApiRole = (typeof API_ROLES)[number];

/** Who calls: a key's name (never the key), a token's or session's actor name, and its roles. */
export interface CallerIdentity {
  name: string;
  roles: readonly ApiRole[];
}

/** enforced: credentials required; open: none configured (dev); disabled: api.auth off; closed: production without any. */
export type ApiAuthMode = 'enforced' | 'open' | 'disabled' | 'closed';
