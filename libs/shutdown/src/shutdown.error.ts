export type ShutdownErrorCode =
  'SHUTDOWN_INVALID_PRIORITY' | 'SHUTDOWN_INVALID_HOOK' | 'SHUTDOWN_INVALID_TIMEOUT' | 'SHUTDOWN_IN_PROGRESS';

/** A hook registration the shutdown module refuses; the message says how to fix it. */
export class ShutdownError extends Error {
  constructor(
    readonly code: ShutdownErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ShutdownError';
  }
}
