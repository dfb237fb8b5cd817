import { DiscoveryService } from '@nestjs/core';

/** Marks a provider as a transport factory for `broker.transport: <name>`. */
export const BrokerTransport = DiscoveryService.createDecorator<string>();

/** Marks a provider as a BrokerObserver (metrics, auditing); every such provider is notified. */
export const BrokerObserverProvider = DiscoveryService.createDecorator<void>();
