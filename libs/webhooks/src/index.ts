export { WebhooksModule } from './webhooks.module';
export { WEBHOOKS_MODULE_OPTIONS } from './webhooks.module-definition';
export { WebhookProvider } from './webhook.decorator';
export { WebhookRegistry, type RegisteredWebhook } from './webhook.registry';
export { WebhookError, type WebhookErrorCode } from './webhook.error';
export { MiraSignatureVerifier, signMira, MIRA_SIGNATURE_HEADER } from './providers/mira-signature.verifier';
export { HubSignatureVerifier } from './providers/hub-signature.verifier';
export { hmac, matchesAny, headerValue, parsePrefixedHex } from './webhook.crypto';
export { RotatingKeySet } from './rotating-key-set';
export {
  WEBHOOK_DEDUPLICATOR,
  WEBHOOK_EVENT_PREFIX,
  WEBHOOK_CLOCK,
  WEBHOOK_ADMIN_CHECK,
} from './webhooks.constants';
export type {
  WebhookVerifier,
  WebhookDelivery,
  WebhookRejection,
  WebhookProviderOptions,
  WebhookServiceSettings,
  DeliveryDeduplicator,
  WebhookEvent,
  WebhookClock,
  WebhooksModuleOptions,
  WebhookAdminCheck,
} from './webhook.interface';
export { webhooksConfig, webhooksSchema, webhookServiceSchema } from './webhooks.config';
export { WebhookMetrics, type WebhookDeliveryResult } from './webhook.metrics';
