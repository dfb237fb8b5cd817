export type EdgeLimitErrorCode = 'JSON_TOO_DEEP' | 'RESPONSE_TOO_LARGE' | 'BODY_TOO_LARGE' | 'INVALID_JSON';

/**
 * A request refused because it crosses a size limit of the edge. Carries its HTTP status like
 * Fastify's own client errors, so the API's error filter answers it with `code` and the message,
 * which names the limit and how to stay within it.
 */
export class EdgeLimitError extends Error {
  constructor(
    readonly code: EdgeLimitErrorCode,
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
    this.name = 'EdgeLimitError';
  }
}
