import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { metricsCollector } from '@mira/metrics';
import { webhookDeduplicatorProvider } from './webhook-deduplicator.provider';
import { WebhookMetrics } from './webhook.metrics';
import { WebhookRegistry } from './webhook.registry';
import { WebhookSecretsService } from './webhook-secrets.service';
import type { WebhooksModuleOptions } from './webhook.interface';
import { WEBHOOK_CLOCK } from './webhooks.constants';
import { WebhooksController } from './webhooks.controller';
import { WebhooksModuleBase, WEBHOOKS_MODULE_OPTIONS } from './webhooks.module-definition';
import { WebhooksService } from './webhooks.service';
import { GithubWebhook } from './providers/github.webhook';
import { JiraWebhook } from './providers/jira.webhook';
import { TrelloWebhook } from './providers/trello.webhook';

/**
 * POST /webhooks/:service. Providers are @WebhookProvider classes found by discovery: the three
 * built in here, and any that another module declares (see MiraSignatureVerifier for the generic
 * scheme). Import once with `WebhooksModule.forRoot({})` (or forRootAsync to pass the app's clock
 * and edge limits); a module contributing a service only declares its provider.
 */
@Module({
  imports: [DiscoveryModule],
  controllers: [WebhooksController],
  providers: [
    {
      provide: WEBHOOK_CLOCK,
      inject: [WEBHOOKS_MODULE_OPTIONS],
      useFactory: (options: WebhooksModuleOptions) => options.clock ?? { now: () => Date.now() },
    },
    GithubWebhook,
    TrelloWebhook,
    JiraWebhook,
    WebhookSecretsService,
    WebhookRegistry,
    ...webhookDeduplicatorProvider,
    WebhooksService,
    metricsCollector(WebhookMetrics),
  ],
  exports: [WebhookRegistry],
})
export class WebhooksModule extends WebhooksModuleBase {}
