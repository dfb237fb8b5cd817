// Deprecated: @mira/features is now part of @mira/flags (OpenFeature). Kept as an alias.
export {
  FlagsModule as FeaturesModule,
  FeatureFlagsService,
  type FeatureFlagListener,
  FeatureFlagGuard,
  FeatureFlag,
  FeatureDisabledError,
  type FeatureErrorCode,
  FEATURE_FLAG_METADATA,
  featuresConfig,
  featuresSchema,
} from '@mira/flags';
