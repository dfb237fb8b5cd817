export type StateErrorCode =
  | 'STATE_UNAVAILABLE'
  | 'STATE_CONFLICT'
  | 'STATE_DUPLICATE'
  | 'STATE_MIGRATION_FAILED'
  | 'STATE_INVALID_CONFIG'
  | 'STATE_UNKNOWN_BACKEND'
  | 'STATE_INVALID_CURSOR'
  | 'STATE_INVALID_INPUT'
  | 'STATE_QUERY_FAILED'
  | 'STATE_STORAGE_FULL'
  | 'STATE_CLOSED';

/**
 * A state store problem. The message says how to fix it and never holds a connection URL or a
 * password (driver messages are passed through sanitizeMessage first). `retryable` marks failures
 * a caller may retry (the store was unreachable), so HTTP answers 503 rather than 500.
 */
export class StateError extends Error {
  constructor(
    readonly code: StateErrorCode,
    message: string,
    readonly retryable = false,
  ) {
    super(message);
    this.name = 'StateError';
  }
}

/**
 * Removes credentials from a driver message: every given secret (URL, password), any
 * `scheme://...` URL and `password=...` pair. pg puts the URL in some parse errors.
 */
export function sanitizeMessage(message: string, secrets: (string | null | undefined)[] = []): string {
  let out = message;
  for (const s of secrets) if (s && s.length >= 3) out = out.split(s).join('<redacted>');
  return out
    .replace(/\b[a-z][a-z0-9+.-]*:\/\/\S+/gi, '<url>')
    .replace(/(password\s*[=:]\s*)\S+/gi, '$1<redacted>')
    .split('\n')[0];
}
