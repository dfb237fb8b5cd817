import { DiscoveryService } from '@nestjs/core';
import type { WebhookProviderOptions } from './webhook.interface';

/**
 * Registers a WebhookVerifier for POST /webhooks/<service>:
 * `@WebhookProvider({ service: 'acme' })`. Importing the module that declares it is enough.
 */
export const WebhookProvider = DiscoveryService.createDecorator<WebhookProviderOptions>();
