export { FeaturesModule } from './features.module';
export { FeatureFlagsService, type FeatureFlagListener } from './feature-flags.service';
export { FeatureFlagGuard } from './feature-flag.guard';
export { FeatureFlag } from './feature-flag.decorator';
export { FeatureDisabledError, type FeatureErrorCode } from './features.error';
export { FEATURE_FLAG_METADATA } from './features.constants';
export { featuresConfig, featuresSchema } from './features.config';
