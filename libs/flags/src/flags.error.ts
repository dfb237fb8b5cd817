export type FlagsErrorCode = 'FLAGS_FILE_INVALID' | 'FLAG_PROVIDER_INVALID';

/** Errors of @mira/flags; the message names the flag or file and how to fix it. */
export class FlagsError extends Error {
  constructor(
    readonly code: FlagsErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'FlagsError';
  }
}
