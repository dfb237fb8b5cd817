import { DiscoveryService } from '@nestjs/core';
import type { AgentOptions } from './agent.interface';

/**
 * Marks a provider as an agent: `@Agent({ id: 'my_agent', messageTypes: ['do_thing'] })`.
 * Importing the module that declares it is enough for routing, listing, health and drain.
 */
export const Agent = DiscoveryService.createDecorator<AgentOptions>();
