/** Environment the secrets lib reads (env backend, in-cluster detection); defaults to the config's env. */
export const SECRETS_ENV = Symbol('mira:SECRETS_ENV');

/** Optional log redaction registry (from @mira/logging) that every resolved value is registered with. */
export const SECRETS_REDACTION = Symbol('mira:SECRETS_REDACTION');

/** Optional metrics sink for refresh counters and breaker state. */
export const SECRETS_METRICS = Symbol('mira:SECRETS_METRICS');

/** Name of the /healthz check. */
export const SECRETS_HEALTH_NAME = 'secrets';

/** Config values of this form are replaced by the secret: `secret://<name>:<key>`. */
export const SECRET_REF_PREFIX = 'secret://';
