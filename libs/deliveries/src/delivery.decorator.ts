import { DiscoveryService } from '@nestjs/core';
import type { DeliveryKindOptions } from './delivery.interface';

/**
 * Registers a DeliveryKind: `@DeliveryKindProvider({ kind: 'teams' })` on an @Injectable class with
 * `send(target, message, ctx)`. Importing the module that declares it is enough.
 */
export const DeliveryKindProvider = DiscoveryService.createDecorator<DeliveryKindOptions>();
