import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { ConfigModule } from '@mira/config';
import { metricsCollector } from '@mira/metrics';
import { deliveriesConfig } from './deliveries.config';
import { DeliveriesMetrics } from './deliveries.metrics';
import { DeliveriesMigrations } from './deliveries.migrations';
import { DeliveriesService } from './deliveries.service';
import { DeliveriesShutdownHook } from './deliveries.shutdown';
import { DeliveryKinds } from './delivery.kinds.registry';
import { WorkflowNotifications } from './workflow-notifications.service';
import { EmailDeliveryKind } from './providers/email.delivery';
import { SlackDeliveryKind } from './providers/slack.delivery';
import { WebhookDeliveryKind } from './providers/webhook.delivery';

/** The outbox and its kinds (webhook, slack, email); a module adds a kind with @DeliveryKindProvider. */
@Module({
  imports: [DiscoveryModule, ConfigModule.forFeature(deliveriesConfig)],
  providers: [
    DeliveriesMigrations,
    DeliveryKinds,
    DeliveriesService,
    DeliveriesShutdownHook,
    WorkflowNotifications,
    metricsCollector(DeliveriesMetrics),
    WebhookDeliveryKind,
    SlackDeliveryKind,
    EmailDeliveryKind,
  ],
  exports: [DeliveriesService, DeliveryKinds],
})
export class DeliveriesModule {}
