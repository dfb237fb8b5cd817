export { WebhooksModule } from './webhooks.module';
export { WebhookProvider } from './webhook.decorator';
export { WebhookRegistry } from './webhook.registry';
export { MiraSignatureVerifier, signMira, MIRA_SIGNATURE_HEADER } from './providers/mira-signature.verifier';
export { HubSignatureVerifier } from './providers/hub-signature.verifier';
export { WEBHOOK_DEDUPLICATOR, WEBHOOK_EVENT_PREFIX } from './webhooks.constants';
export type {
  WebhookVerifier,
  WebhookDelivery,
  WebhookRejection,
  WebhookProviderOptions,
  DeliveryDeduplicator,
  WebhookEvent,
} from './webhook.interface';
export { webhooksConfig, webhooksSchema, webhookServiceSchema } from './webhooks.config';
