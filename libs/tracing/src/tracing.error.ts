export type TracingErrorCode = 'TRACING_INVALID_SETTING';

/** A tracing setup problem; the message names the variable or key and how to fix it. */
export class TracingError extends Error {
  constructor(
    readonly code: TracingErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'TracingError';
  }
}
