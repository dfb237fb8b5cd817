export type LoggingErrorCode = 'LOGGING_FILE_UNWRITABLE';

/** A logging setup problem; the message names the key and how to fix it. */
export class LoggingError extends Error {
  constructor(
    readonly code: LoggingErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'LoggingError';
  }
}
