export type WebhookErrorCode = 'WEBHOOK_DUPLICATE_SERVICE' | 'WEBHOOK_INVALID_PROVIDER';

/** A webhook registration problem found at start; the message names the provider and the fix. */
export class WebhookError extends Error {
  constructor(
    readonly code: WebhookErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'WebhookError';
  }
}
