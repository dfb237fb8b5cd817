export type MetricsErrorCode = 'METRICS_CONFLICT';

/** A metrics registration problem; the message says which series and how to fix it. */
export class MetricsError extends Error {
  constructor(
    readonly code: MetricsErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'MetricsError';
  }
}
