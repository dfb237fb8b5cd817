import { DiscoveryService } from '@nestjs/core';
import type { ShutdownHookOptions } from './shutdown.interface';

/**
 * Marks a provider implementing OnShutdown as a shutdown hook:
 * `@ShutdownHook({ name: 'redis', priority: 12 })`. Any module can contribute one; the
 * shutdown module discovers it at start (and rejects a bad priority or a missing onShutdown()).
 */
export const ShutdownHook = DiscoveryService.createDecorator<ShutdownHookOptions>();
