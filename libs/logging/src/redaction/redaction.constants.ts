/** What replaces a redacted value in a log line. */
export const REDACTED = '[REDACTED]';

/** Request/response headers that carry credentials. */
const SENSITIVE_HEADERS = [
  'authorization',
  'proxy-authorization',
  'x-api-key',
  'cookie',
  'set-cookie',
  'x-vault-token',
];

/** Field names that hold credentials wherever they appear (one or two levels deep, and top level). */
const SENSITIVE_FIELDS = [
  'password',
  'passwd',
  'token',
  'access_token',
  'refresh_token',
  'secret',
  'client_secret',
  'secret_id',
  'api_key',
  'apiKey',
  'private_key',
  'authorization',
];

/**
 * pino `redact` paths (compiled once by fast-redact). Headers of the request/response
 * serializers, plus known sensitive field names at the top level and one level down.
 */
export const REDACT_PATHS: string[] = [
  // Access lines carry allow-listed request headers only (logging.options ACCESS_LOG_HEADERS) and
  // no response headers; these paths cover request and header objects logged by hand.
  ...SENSITIVE_HEADERS.flatMap((h) => [`req.headers["${h}"]`, `headers["${h}"]`]),
  ...SENSITIVE_FIELDS.flatMap((f) => [`${f}`, `*.${f}`]),
];
