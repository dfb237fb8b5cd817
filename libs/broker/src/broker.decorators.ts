import { DiscoveryService } from '@nestjs/core';

import { brokerTransportNames } from './broker.config';

const transportDecorator = DiscoveryService.createDecorator<string>();

/**
 * Marks a provider as a transport factory for `broker.transport: <name>`. Applying it also adds
 * the name to the values the config accepts: that happens when the file is required, so before
 * loadConfig() validates `broker.transport`.
 */
export const BrokerTransport: typeof transportDecorator = Object.assign(
  (name?: string) => {
    if (name) brokerTransportNames().add(name);
    return transportDecorator(name);
  },
  { KEY: transportDecorator.KEY },
);

/** Marks a provider as a BrokerObserver (metrics, auditing); every such provider is notified. */
export const BrokerObserverProvider = DiscoveryService.createDecorator<void>();
