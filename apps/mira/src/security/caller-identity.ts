import type { API_ROLES } from './security.config';

export type ApiRole = (typeof API_ROLES)[number];

/**
 * Who calls: `id`, the stable `(source, subject)` every rule compares (`key:<name>`,
 * `oidc:<issuer-host>:<sub>`, `anonymous`), `name`, the display name (a key's name, a token's
 * display-name claim; never a credential), and its roles.
 */
export interface CallerIdentity {
  id: string;
  name: string;
  roles: readonly ApiRole[];
}

/** enforced: credentials required; open: none configured (dev); disabled: api.auth off; closed: production without any. */
export type ApiAuthMode = 'enforced' | 'open' | 'disabled' | 'closed';
