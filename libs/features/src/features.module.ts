import { Global, Module } from '@nestjs/common';
import { ConfigModule } from '@mira/config';
import { featuresConfig } from './features.config';
import { FeatureFlagGuard } from './feature-flag.guard';
import { FeatureFlagsService } from './feature-flags.service';

/** Global so any module's controllers, agents and workflow steps can consult flags. */
@Global()
@Module({
  imports: [ConfigModule.forFeature(featuresConfig)],
  providers: [FeatureFlagsService, FeatureFlagGuard],
  exports: [FeatureFlagsService, FeatureFlagGuard],
})
export class FeaturesModule {}
