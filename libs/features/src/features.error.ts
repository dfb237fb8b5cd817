export type FeatureErrorCode = 'FEATURE_DISABLED';

/** Thrown by FeatureFlagsService.assertEnabled; the message names the flag and how to turn it on. */
export class FeatureDisabledError extends Error {
  readonly code: FeatureErrorCode = 'FEATURE_DISABLED';

  constructor(readonly flag: string) {
    super(`Feature "${flag}" is disabled; set features.${flag}: true in the configuration to enable it`);
    this.name = 'FeatureDisabledError';
  }
}
