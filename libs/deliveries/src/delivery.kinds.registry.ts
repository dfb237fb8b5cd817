import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { DeliveryKindProvider } from './delivery.decorator';
import type { DeliveryKind } from './delivery.interface';
import { DeliveriesError } from './deliveries.error';

/** Every @DeliveryKindProvider in the container (webhook, slack, email, and any module's own). */
@Injectable()
export class DeliveryKinds implements OnModuleInit {
  private readonly logger = new Logger('Deliveries');
  private readonly kinds = new Map<string, DeliveryKind>();

  constructor(private readonly discovery: DiscoveryService) {}

  onModuleInit(): void {
    for (const wrapper of this.discovery.getProviders({ metadataKey: DeliveryKindProvider.KEY })) {
      const options = this.discovery.getMetadataByDecorator(DeliveryKindProvider, wrapper);
      const kind = wrapper.instance as DeliveryKind | undefined;
      if (!options || !kind || typeof kind.send !== 'function') continue;
      if (this.kinds.has(options.kind))
        throw new DeliveriesError(
          'DELIVERY_DUPLICATE_KIND',
          `Two providers declare delivery kind "${options.kind}"; kind names must be unique`,
        );
      this.kinds.set(options.kind, kind);
    }
    this.logger.log(`Delivery kinds: ${[...this.kinds.keys()].join(', ') || 'none'}`);
  }

  get(kind: string): DeliveryKind {
    const found = this.kinds.get(kind);
    if (!found)
      throw new DeliveriesError(
        'DELIVERY_UNKNOWN_KIND',
        `No delivery kind "${kind}"; use one of ${[...this.kinds.keys()].join(', ')} or import the module that provides it`,
        false,
      );
    return found;
  }

  names(): string[] {
    return [...this.kinds.keys()];
  }
}
