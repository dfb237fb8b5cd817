import { applyDecorators, SetMetadata, UseGuards } from '@nestjs/common';
import { FEATURE_FLAG_METADATA } from './features.constants';
import { FeatureFlagGuard } from './feature-flag.guard';

/**
 * Gates a controller or route on config flags: `@FeatureFlag('new_reports')`. The route answers
 * 404 while any named flag is off (see FeatureFlagGuard); a reload flips it without a restart.
 */
export function FeatureFlag(...flags: [string, ...string[]]): ClassDecorator & MethodDecorator {
  return applyDecorators(SetMetadata(FEATURE_FLAG_METADATA, flags), UseGuards(FeatureFlagGuard));
}
