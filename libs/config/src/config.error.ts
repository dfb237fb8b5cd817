import { maskCredentialUrls } from './config.redact';

export type ConfigErrorCode =
  | 'CONFIG_INVALID'
  | 'CONFIG_FILE_UNREADABLE'
  | 'CONFIG_FILE_UNPARSABLE'
  | 'CONFIG_NOT_LOADED'
  /** A reload held back: empty document, or top-level sections lost (a truncated write). */
  | 'CONFIG_RELOAD_HELD'
  /** A section definition that cannot work (key format, a non-strict schema, no default). */
  | 'CONFIG_SECTION_INVALID'
  /** Two owners define the same top-level key. */
  | 'CONFIG_SECTION_CONFLICT';

/** A configuration problem; `message` names the key path (or file) and how to fix it. */
export class ConfigError extends Error {
  /** Every problem found (up to 20), each `path: reason (set by <source>)`. */
  readonly issues: readonly string[];

  constructor(
    readonly code: ConfigErrorCode,
    message: string,
    readonly path?: string,
    issues: readonly string[] = [],
  ) {
    // Whatever a check quoted, a URL's credentials never reach the message (start-up line, CLI).
    super(maskCredentialUrls(message));
    this.issues = issues.map(maskCredentialUrls);
    this.name = 'ConfigError';
  }
}
