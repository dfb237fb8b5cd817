export type SecretsErrorCode =
  | 'SECRET_NOT_FOUND'
  | 'SECRET_NAME_INVALID'
  | 'SECRET_ACCESS_DENIED'
  /** The path of a file secret is a directory or a broken symlink, not a readable file. */
  | 'SECRET_NOT_A_FILE'
  | 'SECRETS_BACKEND_UNAVAILABLE'
  | 'SECRETS_BACKEND_UNKNOWN'
  | 'SECRETS_BACKEND_MISCONFIGURED'
  | 'SECRETS_CIRCUIT_OPEN'
  | 'SECRETS_AUTH_FAILED'
  | 'SECRET_REFERENCE_UNRESOLVED';

/**
 * A secrets problem. The message names the secret (never its value) and how to fix it.
 * `transient` marks failures worth retrying (network, 5xx, 429); `status` is the backend's HTTP status if any.
 */
export class SecretsError extends Error {
  constructor(
    readonly code: SecretsErrorCode,
    message: string,
    readonly options: { transient?: boolean; status?: number; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SecretsError';
  }

  get transient(): boolean {
    return this.options.transient ?? false;
  }

  get status(): number | undefined {
    return this.options.status;
  }
}

/** The secret (or the key inside it) does not exist in the configured backend. */
export class SecretNotFoundError extends SecretsError {
  constructor(
    readonly secretName: string,
    readonly secretKey: string | undefined,
    backend: string,
    hint = '',
  ) {
    super(
      'SECRET_NOT_FOUND',
      `Secret ${formatRef(secretName, secretKey)} was not found in the ${backend} secrets backend${hint ? `: ${hint}` : ''}; create it there or pass a default`,
    );
    this.name = 'SecretNotFoundError';
  }
}

export function formatRef(name: string, key?: string): string {
  return key === undefined ? `secret://${name}` : `secret://${name}:${key}`;
}

/** An error's code and message, for logs; backends build messages without secret values. */
export function describeError(err: unknown): string {
  if (err instanceof SecretsError) return `${err.code}: ${err.message}`;
  const e = err as { code?: unknown; message?: unknown };
  const status = (err as { response?: { statusCode?: unknown } })?.response?.statusCode;
  const parts = [status ?? e?.code, e?.message].filter((p) => p !== undefined && p !== '');
  return parts.length ? parts.join(': ') : String(err);
}
