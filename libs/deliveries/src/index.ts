export { DeliveriesModule } from './deliveries.module';
export { DeliveriesService, type DeliveryRequest } from './deliveries.service';
export { DeliveryKinds } from './delivery.kinds.registry';
export { DeliveryKindProvider } from './delivery.decorator';
export { DeliveriesError, type DeliveriesErrorCode } from './deliveries.error';
export { HostGuard } from './delivery.host-guard';
export { DELIVERY_STATUSES, deliveryId, type DeliveryRow, type DeliveryStatus } from './delivery.store';
export { DELIVERIES_MIGRATIONS, DeliveriesMigrations } from './deliveries.migrations';
export {
  deliveriesConfig,
  deliveriesSchema,
  type DeliveriesSettings,
  type DestinationSettings,
} from './deliveries.config';
export { slackBody, emailBody, findReport } from './delivery.format';
export { standardWebhookRequest } from './providers/webhook.delivery';
export type {
  DeliveryKind,
  DeliveryMessage,
  DeliveryTarget,
  DeliverySendContext,
} from './delivery.interface';
