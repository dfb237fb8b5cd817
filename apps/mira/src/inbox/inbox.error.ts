export type InboxErrorCode = 'INBOX_SESSION_SECRET';

/** The inbox cannot sign people in as configured; the message names the key to set. */
export class InboxError extends Error {
  constructor(
    readonly code: InboxErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'InboxError';
  }
}
