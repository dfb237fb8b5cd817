export type FeatureErrorCode = 'FEATURE_DISABLED';

/** Thrown by FeatureFlagsService.assertEnabled; the message names the flag and how to turn it on. */
export class FeatureDisabledError extends Error {
  readonly code: FeatureErrorCode = 'FEATURE_DISABLED';

  constructor(readonly flag: string) {
    super(
      `Feature "${flag}" is disabled; define the boolean flag features.flags.${flag} (flagd format) or the deprecated features.${flag}: true in the configuration to enable it`,
    );
    this.name = 'FeatureDisabledError';
  }
}
