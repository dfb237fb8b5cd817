/** What replaces a redacted value in a log line. */
export const REDACTED = '[REDACTED]';

/** Request/response headers that carry credentials. */
export const SENSITIVE_HEADERS: readonly string[] = [
  'authorization',
  'proxy-authorization',
  'x-api-key',
  'cookie',
  'set-cookie',
  'x-vault-token',
];

/** Field names that hold credentials wherever they appear (top level and one level down). */
export const SENSITIVE_FIELDS: readonly string[] = [
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
