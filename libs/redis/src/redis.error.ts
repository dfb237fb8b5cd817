export type RedisErrorCode =
  'REDIS_NOT_CONFIGURED' | 'REDIS_INVALID_URL' | 'REDIS_UNAVAILABLE' | 'REDIS_CLOSED';

/**
 * A problem of the shared Redis connections. The message says what to fix and never carries the
 * URL's credentials (the URL appears redacted, as `redis://***:***@host:port`).
 */
export class RedisConnectionError extends Error {
  constructor(
    readonly code: RedisErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'RedisConnectionError';
  }
}
