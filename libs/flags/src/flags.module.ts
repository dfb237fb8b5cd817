import { Global, Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { ConfigModule } from '@mira/config';
import { FeatureFlagGuard } from './feature-flag.guard';
import { FeatureFlagsService } from './feature-flags.service';
import { FlagContextBuilder } from './flags-context';
import { FlagsFileReader } from './flags-file.reader';
import { featuresConfig } from './flags.config';
import { FlagsHealthIndicator } from './flags.health';
import { FlagsService } from './flags.service';

/**
 * OpenFeature for Mira (our own small module: @openfeature/nestjs-sdk's peer range stops at
 * Nest 11). Global so agents, workflows and controllers can inject FlagsService.
 */
@Global()
@Module({
  imports: [ConfigModule.forFeature(featuresConfig), DiscoveryModule],
  providers: [
    FlagsService,
    FlagContextBuilder,
    FlagsFileReader,
    FeatureFlagsService,
    FeatureFlagGuard,
    FlagsHealthIndicator,
  ],
  exports: [FlagsService, FlagContextBuilder, FeatureFlagsService, FeatureFlagGuard],
})
export class FlagsModule {}
