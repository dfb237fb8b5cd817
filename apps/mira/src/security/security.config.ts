import { z } from 'zod';
import { configValue, defineConfigSection } from '@mira/config';
import type { ConfigSectionsInput, ConfigSectionsOutput } from '@mira/config';

const { bool, int, list, num, splitCommas } = configValue;

const rateLimitSchema = (limit: number) =>
  z.strictObject({ enabled: bool(true), limit: int(limit, 1), window_ms: int(60000, 100) }).prefault({});

export const API_ROLES = ['submitter', 'approver', 'auditor', 'admin'] as const;

export const apiKeyEntrySchema = z.strictObject({
  name: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/, 'must be 1-64 letters, digits, ".", "_", ":" or "-"'),
  key: z.string().min(1),
  // Required: an entry cut short by a truncated write must not default to every role.
  roles: z.array(z.enum(API_ROLES)).min(1),
});

export const apiSchema = z
  .strictObject({
    // A plain string is a key with every role (named key-<n>); an object names the key's
    // identity (the actor in records, logs and the audit trail) and its roles.
    keys: z
      .preprocess(
        splitCommas,
        z.array(
          z.union([z.string(), apiKeyEntrySchema], {
            error: `must be a key string, or { name, key, roles } with roles from ${API_ROLES.join(', ')}`,
          }),
        ),
      )
      .default([])
      .superRefine((keys, ctx) => {
        const seen = new Set<string>();
        keys.forEach((k, i) => {
          const name = typeof k === 'string' ? `key-${i + 1}` : k.name;
          if (seen.has(name))
            ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `duplicate key name "${name}"` });
          seen.add(name);
        });
      }),
    auth: z.enum(['enabled', 'disabled']).default('enabled'),
    protect_metrics: bool(false),
    // Keys removed by a reload or rotation stay valid this long (0 = revoked at once).
    rotation_grace_seconds: int(0, 0),
    // Per API key (else client IP) on /api/*, per client IP on /webhooks/*.
    rate_limit: rateLimitSchema(1200),
    webhook_rate_limit: rateLimitSchema(600),
    // CORS stays off unless origins are listed.
    cors_origins: list([]),
    // GET /api/v1/workflows/stream: live streams per replica (503 beyond), the comment sent to keep
    // proxies from closing an idle stream, and how many recent events Last-Event-ID can resume from.
    stream: z
      .strictObject({
        max_clients: int(200, 1),
        heartbeat_seconds: int(15, 1, 3600),
        replay_events: int(500, 1, 100000),
      })
      .prefault({}),
  })
  .prefault({});

const ROLE_VALUE = /^\S{1,200}$/;

/**
 * `auth`: sign-in for people (OIDC authorization code + PKCE, a session cookie for the inbox
 * page) and bearer JWTs for machines, both from one OpenID Connect provider. Off while
 * `oidc.issuer` is null; API keys work beside it either way.
 */
export const authSchema = z
  .strictObject({
    oidc: z
      .strictObject({
        // The provider's issuer URL (discovery at <issuer>/.well-known/openid-configuration).
        issuer: z.url().nullable().default(null),
        client_id: z.string().min(1).nullable().default(null),
        // May be a secret:// reference; never logged.
        client_secret: z.string().min(1).nullable().default(null),
        // Where the provider sends people back: <public base URL>/inbox/callback.
        redirect_uri: z.url().nullable().default(null),
        scopes: list(['openid', 'profile', 'email']),
        // Claim (a dotted path is followed into objects) holding the person's groups or roles.
        roles_claim: z.string().min(1).default('roles'),
        // Provider group/role value -> Mira roles; a value that names a Mira role maps to it by default.
        roles_map: z.record(z.string().regex(ROLE_VALUE), z.array(z.enum(API_ROLES))).default({}),
        // Bearer JWTs must name this audience; null = client_id.
        audience: z.string().min(1).nullable().default(null),
        // The first of these claims present is the display name; the identity is always `sub`.
        actor_claims: list(['preferred_username', 'sub']),
        clock_skew_seconds: int(30, 0, 600),
        // A token with an unknown key id refetches the provider's keys at most this often.
        jwks_cooldown_seconds: num(30, 0),
      })
      .prefault({})
      .superRefine((o, ctx) => {
        if (o.issuer !== null && o.client_id === null)
          ctx.addIssue({
            code: 'custom',
            path: ['client_id'],
            message: 'required when auth.oidc.issuer is set',
          });
      }),
    session: z
      .strictObject({
        // Key material (32+ characters, HKDF-derived) the session cookie is encrypted with; use a secret:// reference.
        secret: z.string().min(1).nullable().default(null),
        // A session ends this long after sign-in, whatever the provider's tokens say.
        ttl_seconds: int(28800, 60, 7 * 86400),
        // A live session's roles are asked again of the provider (userinfo) at least this often;
        // a user who lost every role (or whose access token the provider no longer accepts) is signed out.
        refresh_seconds: int(300, 1, 86400),
      })
      .prefault({}),
  })
  .prefault({});

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * An `api.keys` entry that grants access: a non-blank string, or an object entry (`{ name, key,
 * roles }`) unless its `key` is blank. Counted generically so the entry shape can grow.
 */
function grantsAccess(entry: unknown): boolean {
  if (typeof entry === 'string') return entry.trim() !== '';
  if (isObject(entry)) return !('key' in entry) || (typeof entry.key === 'string' && entry.key.trim() !== '');
  return entry !== null && entry !== undefined;
}

export const apiConfig = defineConfigSection({
  key: 'api',
  schema: apiSchema,
  reload: {
    keys: 'ApiKeyService (config change subscription; old keys kept for the grace window)',
    auth: 'ApiKeyService (read on every request)',
    rotation_grace_seconds: 'ApiKeyService (next key change)',
    protect_metrics: 'CallerGuard (read on every request)',
    'rate_limit.*': 'EdgeThrottlerGuard (read on every request)',
    'webhook_rate_limit.*': 'EdgeThrottlerGuard (read on every request)',
    'stream.max_clients': 'WorkflowStreamHub (next stream opened)',
  },
  // `api.keys` reduced to no usable key, auth or metrics protection switched off, a key's roles
  // widened: an empty or cut-short file write looks exactly like these, so they wait for a restart.
  holdOnReload: (running, desired) => {
    const out: { path: string; change: string }[] = [];
    const keysBefore = (running?.keys as unknown[] | undefined) ?? [];
    const keysAfter = (desired?.keys as unknown[] | undefined) ?? [];
    if (keysBefore.some(grantsAccess) && !keysAfter.some(grantsAccess))
      out.push({ path: 'api.keys', change: 'emptied' });
    if (running?.auth !== 'disabled' && desired?.auth === 'disabled')
      out.push({ path: 'api.auth', change: `${running?.auth ?? 'enabled'} -> disabled` });
    if (running?.protect_metrics === true && desired?.protect_metrics !== true)
      out.push({ path: 'api.protect_metrics', change: 'true -> false' });
    const rolesOf = (keys: unknown[]) =>
      new Map(
        keys
          .filter(
            (k): k is { name: string; roles: string[] } => typeof k === 'object' && k !== null && 'name' in k,
          )
          .map((k) => [k.name, new Set(k.roles ?? [])]),
      );
    const rolesBefore = rolesOf(keysBefore);
    for (const [name, after] of rolesOf(keysAfter)) {
      const before = rolesBefore.get(name);
      if (before && [...after].some((r) => !before.has(r)))
        out.push({ path: 'api.keys', change: `roles of ${name} widened` });
    }
    return out;
  },
  owner: 'apps/mira',
});

export const authConfig = defineConfigSection({ key: 'auth', schema: authSchema, owner: 'apps/mira' });

declare module '@mira/config' {
  interface MiraConfig extends ConfigSectionsOutput<typeof apiConfig | typeof authConfig> {}
  interface MiraConfigInput extends ConfigSectionsInput<typeof apiConfig | typeof authConfig> {}
}
