import { isIP } from 'node:net';
import { z } from 'zod';

// Environment values arrive as strings: these helpers accept both the typed value (from
// YAML/JSON) and its string form (from MIRA_* variables) so one schema serves both layers.
const num = (def: number, min = Number.NEGATIVE_INFINITY, max = Number.POSITIVE_INFINITY) =>
  z
    .preprocess(
      (v) => (typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v)) ? Number(v) : v),
      z.number().min(min).max(max),
    )
    .default(def);
const int = (def: number, min = 0, max = Number.MAX_SAFE_INTEGER) =>
  z
    .preprocess(
      (v) => (typeof v === 'string' && /^-?\d+$/.test(v.trim()) ? Number(v) : v),
      z.number().int().min(min).max(max),
    )
    .default(def);
const bool = (def: boolean) =>
  z
    .preprocess((v) => {
      if (typeof v !== 'string') return v;
      const s = v.trim().toLowerCase();
      if (['true', '1', 'yes', 'on'].includes(s)) return true;
      if (['false', '0', 'no', 'off'].includes(s)) return false;
      return v;
    }, z.boolean())
    .default(def);
/** An environment value `a, b` is the list [a, b]; file values are lists already. */
const splitCommas = (v: unknown) =>
  typeof v === 'string'
    ? v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : v;
const list = (def: string[]) => z.preprocess(splitCommas, z.array(z.string())).default(def);

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
const LEVEL_ALIASES: Readonly<Record<string, string>> = { warning: 'warn', critical: 'fatal' };

/** proxy-addr's named ranges, accepted by Fastify's trustProxy next to addresses and CIDRs. */
const PROXY_RANGE_NAMES = ['loopback', 'linklocal', 'uniquelocal'];

/** An address, `address/prefix`, `address/netmask` or a named range, as Fastify's trustProxy takes them. */
function isProxyAddress(entry: string): boolean {
  if (PROXY_RANGE_NAMES.includes(entry)) return true;
  const [addr, range, ...rest] = entry.split('/');
  const family = isIP(addr);
  if (family === 0 || rest.length > 0) return false;
  if (range === undefined) return true;
  if (/^\d+$/.test(range)) return Number(range) <= (family === 4 ? 32 : 128);
  return family === 4 && isIP(range) === 4;
}

/**
 * `server.trust_proxy`: false (default), true, or a list of proxy addresses/CIDRs, as Fastify's
 * trustProxy takes them; from the environment "true"/"false" or a comma-separated list. A hop
 * count is refused: Fastify 5.12 ignores it (it cannot tell a proxy from a client that adds hops).
 */
const trustProxy = z
  .preprocess(
    (v) => {
      if (typeof v !== 'string') return v;
      const s = v.trim();
      if (/^(true|false)$/i.test(s)) return s.toLowerCase() === 'true';
      if (/^\d+$/.test(s)) return Number(s);
      return s
        .split(',')
        .map((p) => p.trim())
        .filter(Boolean);
    },
    z.union(
      [
        z.boolean(),
        z
          .array(
            z.string().refine(isProxyAddress, {
              message: 'expected an IP address, a CIDR (10.0.0.0/8) or loopback/linklocal/uniquelocal',
            }),
          )
          .min(1),
      ],
      {
        error:
          'expected true, false or a list of proxy addresses/CIDRs (a hop count is not supported: ' +
          'list the addresses of your proxies or load balancers instead)',
      },
    ),
  )
  .default(false);

export const serverSchema = z
  .strictObject({
    host: z.string().default('0.0.0.0'),
    port: int(3000, 0, 65535),
    body_limit_bytes: int(1024 * 1024, 1024),
    // Answers are built from the request (plans grow with goals): one over this is refused, not sent.
    max_response_bytes: int(8 * 1024 * 1024, 1024),
    // Parsed JSON bodies nested deeper than this are refused (deep data overflows the stack later).
    max_json_depth: int(64, 1, 10000),
    // The whole request (headers and body) must arrive within this, else 408 and the socket is closed; 0 = none.
    request_timeout_ms: int(30000, 0),
    // A socket with no bytes in either direction this long is closed (slow readers, stalled bodies); 0 = none.
    idle_timeout_ms: int(60000, 0),
    trust_proxy: trustProxy,
  })
  .prefault({});

export const loggingSchema = z
  .strictObject({
    // Any case (the reference writes INFO); Python's WARNING and CRITICAL are warn and fatal.
    level: z
      .preprocess(
        (v) =>
          typeof v === 'string' ? (LEVEL_ALIASES[v.trim().toLowerCase()] ?? v.trim().toLowerCase()) : v,
        z.enum(LOG_LEVELS),
      )
      .default('info'),
    // `json_format` (the deployment document's name) is accepted as an alias of this key.
    json: bool(true),
    file: z.string().nullable().default(null),
    /**
     * Paths without an access-log line or correlation scope: probes hit these every few
     * seconds per pod, and logging each hit drowns the useful lines (and costs the probes).
     * `/x` matches exactly, `/x/*` everything below.
     */
    access_log_exclude: list(['/healthz', '/healthz/*', '/metrics']),
  })
  .prefault({});

export const brokerSchema = z
  .strictObject({
    transport: z.enum(['memory', 'redis']).default('memory'),
    queue_size: int(1000, 1),
    max_attempts: int(5, 1),
    redis: z
      .strictObject({
        url: z.string().default('redis://127.0.0.1:6379'),
        stream_prefix: z.string().default('mira:'),
        visibility_timeout_ms: int(30000, 100),
        maxlen: int(100000, 1),
        block_ms: int(1000, 1),
        batch_size: int(32, 1),
        // Handlers running at once per subscription; reads pause beyond it (back-pressure stays in Redis).
        max_in_flight: int(256, 1),
        command_timeout_ms: int(5000, 100),
        reconnect_max_delay_ms: int(5000, 50),
        retry_base_ms: int(200, 0),
        retry_max_ms: int(30000, 0),
        // Lag / pending counts over these report degraded or unhealthy (0 disables a threshold).
        health: z
          .strictObject({
            lag_degraded: int(1000, 0),
            lag_unhealthy: int(0, 0),
            pending_degraded: int(1000, 0),
            pending_unhealthy: int(0, 0),
          })
          .prefault({}),
      })
      .prefault({}),
  })
  .prefault({});

export const secretsSchema = z
  .strictObject({
    backend: z.string().min(1).default('env'),
    auto_refresh: bool(false),
    refresh_interval: num(3600, 1),
    cache_ttl: num(300, 0),
    retry: z
      .strictObject({
        max_retries: int(3, 0, 20),
        delay: num(1, 0),
        factor: num(2, 1),
        max_delay: num(30, 0),
      })
      .prefault({}),
    // opossum around Vault / Kubernetes API calls; durations in seconds.
    circuit_breaker: z
      .strictObject({
        enabled: bool(true),
        timeout: num(10, 0.01),
        error_threshold_percentage: int(50, 1, 100),
        volume_threshold: int(5, 1),
        reset_timeout: num(30, 0.01),
      })
      .prefault({}),
    file: z.strictObject({ root: z.string().default('/etc/mira/secrets') }).prefault({}),
    vault: z
      .strictObject({
        url: z.string().nullable().default(null),
        token: z.string().nullable().default(null),
        token_file: z.string().nullable().default(null),
        namespace: z.string().nullable().default(null),
        mount_point: z.string().default('secret'),
        kv_version: z
          .preprocess((v) => (typeof v === 'string' ? Number(v) : v), z.union([z.literal(1), z.literal(2)]))
          .default(2),
        auth_method: z.enum(['token', 'approle', 'kubernetes']).default('token'),
        role_id: z.string().nullable().default(null),
        secret_id: z.string().nullable().default(null),
        role_id_file: z.string().nullable().default(null),
        secret_id_file: z.string().nullable().default(null),
        kubernetes_role: z.string().nullable().default(null),
        kubernetes_jwt_file: z.string().default('/var/run/secrets/kubernetes.io/serviceaccount/token'),
        kubernetes_mount_path: z.string().default('kubernetes'),
        approle_mount_path: z.string().default('approle'),
      })
      .prefault({}),
    kubernetes: z
      .strictObject({
        namespace: z.string().nullable().default(null),
        kubeconfig: z.string().nullable().default(null),
        watch: bool(false),
        // In-cluster service-account files (token, ca.crt, namespace); configurable so tests can emulate a pod.
        service_account_dir: z.string().default('/var/run/secrets/kubernetes.io/serviceaccount'),
      })
      .prefault({}),
  })
  .prefault({});

export const configSectionSchema = z
  .strictObject({
    hot_reload: bool(false),
    poll_interval: num(5, 0.05),
    debounce_ms: int(50, 0, 10000),
    // A changed file is read twice this far apart and applied only if both reads agree (content,
    // size, mtime): a half-written file is never applied. 0 applies after the debounce alone.
    stable_ms: int(300, 0, 60000),
    // auto: native watching, falling back to polling if it fails; native: no fallback; poll: polling only.
    watch_mode: z.enum(['auto', 'native', 'poll']).default('auto'),
  })
  .prefault({});

export const webhookServiceSchema = z.strictObject({
  secret: z.string().nullable().default(null),
  previous_secret: z.string().nullable().default(null),
  enabled: bool(true),
  // Timestamped schemes (X-Mira-Signature) reject deliveries older or newer than this.
  tolerance_seconds: int(300, 1, 86400),
  // After `secret` changes (reload or secret:// rotation) the replaced value stays valid this long.
  rotation_grace_seconds: int(3600, 0),
  // Delivery ids are remembered this long for replay detection.
  dedup_ttl_seconds: int(86400, 1),
  // Trello signs body + callback URL exactly as registered; null rebuilds it from the request.
  callback_url: z.string().nullable().default(null),
});

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
        // The first of these claims present names the actor.
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
      })
      .prefault({}),
  })
  .prefault({});

export const agentSettingsSchema = z.looseObject({ enabled: bool(true) });

export const governanceSchema = z
  .strictObject({
    financial_threshold: num(10000, 0),
    compliance_threshold: z.string().default('medium'),
    explainability_threshold: num(0.7, 0, 1),
    // Distinct approvals a held workflow needs, by its risk level.
    approvals_required: z
      .strictObject({ low: int(1, 1, 100), medium: int(1, 1, 100), high: int(1, 1, 100) })
      .prefault({}),
    // A workflow still pending after this long expires and never runs (three days).
    approval_ttl_seconds: int(259200, 1),
    // Separation of duties: a requester never approves their own workflow unless this is on.
    allow_self_approval: bool(false),
    // How long a replica's claim on running a workflow's steps holds without renewal; another
    // replica finishes a workflow whose claim ran out (its replica died).
    lease_seconds: num(60, 0.5),
    // How often each replica looks for expired approvals and abandoned runs.
    sweep_interval_seconds: num(30, 0.1),
  })
  .prefault({});

export const shutdownSchema = z
  .strictObject({
    timeout_ms: int(30000, 0),
    hook_timeout_ms: int(10000, 0),
    drain_delay_ms: int(5000, 0),
  })
  .prefault({});

export const healthSchema = z
  .strictObject({
    event_loop_max_lag_ms: int(1000, 1),
    cache_ttl_ms: int(1000, 0),
    // Probes answered on the Node server before the framework (no access log, no HTTP metrics).
    fast_path: bool(true),
  })
  .prefault({});

export const stateSchema = z
  .strictObject({
    // A string, not an enum: a module may contribute another backend (@StateBackendProvider).
    backend: z.string().min(1).default('sqlite'),
    sqlite: z
      .strictObject({
        // Relative to the working directory (/app in the image, where /app/data is writable); `:memory:` for tests.
        path: z.string().min(1).default('data/mira.db'),
      })
      .prefault({}),
    postgres: z
      .strictObject({
        // May be a secret:// reference (resolved before the store connects); never logged.
        url: z.string().min(1).nullable().default(null),
        pool_max: int(10, 1, 1000),
        statement_timeout_ms: int(5000, 100),
        connect_timeout_ms: int(5000, 100),
      })
      .prefault({}),
  })
  .prefault({});

export const TRACING_PROTOCOLS = ['http/protobuf', 'http/json'] as const;

// Mirrors the standard OTEL_* variables, which win over these keys (read once at start, before
// the application loads; a change needs a restart). Off unless an endpoint is set.
export const tracingSchema = z
  .strictObject({
    enabled: bool(true),
    // OTLP/HTTP base URL (e.g. http://otel-collector:4318); null keeps tracing off.
    endpoint: z.string().url().nullable().default(null),
    protocol: z.enum(TRACING_PROTOCOLS).default('http/protobuf'),
    service_name: z.string().min(1).default('mira'),
    // Fraction of new traces recorded (parent-based: an incoming sampled traceparent is kept).
    sample_ratio: num(1, 0, 1),
    // Extra resource attributes, e.g. { deployment.environment: prod }.
    resource_attributes: z.record(z.string(), z.string()).default({}),
    // Ended spans waiting for export; beyond it spans are dropped and counted, never block.
    max_queue_size: int(2048, 1, 1_000_000),
    export_timeout_ms: int(10000, 100, 600_000),
  })
  .prefault({});

/** The whole configuration: defaults < file < environment, validated at start and on every reload. */
export const miraConfigSchema = z.strictObject({
  server: serverSchema,
  logging: loggingSchema,
  broker: brokerSchema,
  secrets: secretsSchema,
  config: configSectionSchema,
  webhooks: z.record(z.string(), webhookServiceSchema).default({}),
  api: apiSchema,
  auth: authSchema,
  agents: z.record(z.string(), agentSettingsSchema).default({}),
  governance: governanceSchema,
  shutdown: shutdownSchema,
  health: healthSchema,
  state: stateSchema,
  tracing: tracingSchema,
  features: z.record(z.string(), bool(false)).default({}),
  // Free-form credentials and settings per integration (`integrations.jira.api_token`); values
  // may be secret:// references, resolved and rotated like any other. Read with
  // ConfigStore.integration(name).
  integrations: z.record(z.string(), z.record(z.string(), z.unknown())).default({}),
  // Extra Nest modules imported at start: npm package names or paths to compiled JavaScript files
  // (see docs/extending.md). Read before validation; a change needs a restart.
  modules: list([]),
});

export type MiraConfig = z.infer<typeof miraConfigSchema>;
export type MiraConfigInput = z.input<typeof miraConfigSchema>;
