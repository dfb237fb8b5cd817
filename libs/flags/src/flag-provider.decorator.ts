import { DiscoveryService } from '@nestjs/core';

/**
 * Marks a Nest provider that is (or has `provider`: ) an OpenFeature server Provider a plugin
 * contributes (LaunchDarkly, flagd, Unleash, ...). Providers are tried by `order` (lowest first),
 * then Mira's config provider as the fallback when they fail (OpenFeature's MultiProvider,
 * FirstSuccessfulStrategy).
 */
export const FlagProvider = DiscoveryService.createDecorator<{ order?: number } | undefined>();
