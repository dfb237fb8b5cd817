import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { metricsCollector } from '@mira/metrics';
import { webhookDeduplicatorProvider } from './webhook-deduplicator.provider';
import { WebhookMetrics } from './webhook.metrics';
import { WebhookRegistry } from './webhook.registry';
import { WebhookSecretsService } from './webhook-secrets.service';
import { WebhooksController } from './webhooks.controller';
import { WebhooksService } from './webhooks.service';
import { GithubWebhook } from './providers/github.webhook';
import { JiraWebhook } from './providers/jira.webhook';
import { TrelloWebhook } from './providers/trello.webhook';

/**
 * POST /webhooks/:service. Providers are @WebhookProvider classes found by discovery: the three
 * built in here, and any a module declares (see MiraSignatureVerifier for the generic scheme).
 * EdgeClock comes from the global SecurityModule.
 */
@Module({
  imports: [DiscoveryModule],
  controllers: [WebhooksController],
  providers: [
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
export class WebhooksModule {}
