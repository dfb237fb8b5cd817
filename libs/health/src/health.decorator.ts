import { DiscoveryService } from '@nestjs/core';
import type { HealthIndicatorOptions } from './health.interface';

/**
 * Marks a provider implementing HealthContributor as a /healthz check:
 * `@HealthIndicatorProvider({ name: 'broker' })`. Any module can contribute one.
 */
export const HealthIndicatorProvider = DiscoveryService.createDecorator<HealthIndicatorOptions>();
