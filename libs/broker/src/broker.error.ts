export type BrokerErrorCode =
  | 'BROKER_QUEUE_FULL'
  | 'BROKER_STOPPED'
  | 'BROKER_UNAVAILABLE'
  /** The publish was sent but its answer never came: the message MAY have been stored. */
  | 'BROKER_PUBLISH_UNCONFIRMED'
  | 'BROKER_INVALID_MESSAGE'
  | 'BROKER_UNKNOWN_TRANSPORT';

/** A broker refusal or failure; `retryable` tells HTTP callers to answer 503 rather than 4xx. */
export class BrokerError extends Error {
  constructor(
    readonly code: BrokerErrorCode,
    message: string,
    readonly retryable = false,
  ) {
    super(message);
    this.name = 'BrokerError';
  }
}
