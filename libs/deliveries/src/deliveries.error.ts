export type DeliveriesErrorCode =
  | 'DELIVERY_HOST_REFUSED'
  | 'DELIVERY_UNKNOWN_DESTINATION'
  | 'DELIVERY_UNKNOWN_KIND'
  | 'DELIVERY_DUPLICATE_KIND'
  | 'DELIVERY_SEND_FAILED'
  | 'DELIVERY_NOT_FOUND'
  | 'DELIVERY_NOT_RETRYABLE'
  | 'DELIVERY_SMTP_NOT_CONFIGURED';

/** A delivery problem; the message names the destination (never a secret or a full URL) and the fix. */
export class DeliveriesError extends Error {
  constructor(
    readonly code: DeliveriesErrorCode,
    message: string,
    /** For send failures: whether another attempt may succeed (a 4xx other than 408/429 will not). */
    readonly retryable = true,
  ) {
    super(message);
    this.name = 'DeliveriesError';
  }
}
