export { FlagsModule } from './flags.module';
export { FlagsService, type FlagType, type FlagChangeListener, type VariantChoice } from './flags.service';
export { ConfigFlagProvider } from './config-flag.provider';
export { FlagProvider } from './flag-provider.decorator';
export {
  FlagContextBuilder,
  setFlagContext,
  runWithFlagContext,
  type FlagContextFields,
} from './flags-context';
export { featuresConfig, featuresSchema, flagDefinitionSchema, type FlagDefinition } from './flags.config';
export { FlagsError, type FlagsErrorCode } from './flags.error';
export { validateFlagDefinition, formatPath } from './flags.validate';
// The former @mira/features API.
export { FeatureFlagsService, type FeatureFlagListener } from './feature-flags.service';
export { FeatureFlagGuard } from './feature-flag.guard';
export { FeatureFlag } from './feature-flag.decorator';
export { FeatureDisabledError, type FeatureErrorCode } from './features.error';
export { FEATURE_FLAG_METADATA } from './features.constants';
