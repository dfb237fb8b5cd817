export type SecurityErrorCode = 'SECURITY_NO_API_KEYS' | 'SECURITY_OIDC_NOT_CONFIGURED';

/** A start-up refusal or a storage failure at the edge; the message says how to fix it. */
export class SecurityError extends Error {
  constructor(
    readonly code: SecurityErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'SecurityError';
  }
}
