import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { ConfigStore } from '@mira/config';
import { WebhookProvider } from './webhook.decorator';
import { WebhookError } from './webhook.error';
import type { WebhookProviderOptions, WebhookVerifier } from './webhook.interface';
import { DEFAULT_WEBHOOK_SETTINGS_KEY, SERVICE_NAME_PATTERN } from './webhooks.constants';
import { WebhookSecretsService } from './webhook-secrets.service';

export interface RegisteredWebhook {
  options: WebhookProviderOptions;
  verifier: WebhookVerifier;
}

/** Every @WebhookProvider in the container; `enabled` is read live from config. */
@Injectable()
export class WebhookRegistry implements OnModuleInit {
  private readonly logger = new Logger('Webhooks');
  private readonly services = new Map<string, RegisteredWebhook>();

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly config: ConfigStore,
    private readonly secrets: WebhookSecretsService,
  ) {}

  onModuleInit(): void {
    for (const wrapper of this.discovery.getProviders({ metadataKey: WebhookProvider.KEY })) {
      const options = this.discovery.getMetadataByDecorator(WebhookProvider, wrapper);
      const verifier = wrapper.instance as WebhookVerifier | undefined;
      if (!options || !verifier) continue;
      if (!SERVICE_NAME_PATTERN.test(options.service) || typeof verifier.verify !== 'function') {
        throw new WebhookError(
          'WEBHOOK_INVALID_PROVIDER',
          `Webhook provider ${wrapper.name} must implement verify() and use a service name matching ${SERVICE_NAME_PATTERN}`,
        );
      }
      if (this.services.has(options.service)) {
        throw new WebhookError(
          'WEBHOOK_DUPLICATE_SERVICE',
          `Two providers declare webhook service "${options.service}"; service names must be unique`,
        );
      }
      this.services.set(options.service, { options, verifier });
    }
    const unsigned = [...this.services.keys()].filter(
      (s) => this.isEnabled(s) && this.secrets.secrets(s).length === 0,
    );
    const unknown = Object.keys(this.config.get('webhooks')).filter(
      (s) => !this.services.has(s) && s !== DEFAULT_WEBHOOK_SETTINGS_KEY,
    );
    this.logger.log(`Webhook services: ${[...this.services.keys()].join(', ') || 'none'}`);
    // The default secret (webhooks.default / the reference's webhook.secret_key) signs every
    // service without its own: say which, so one shared key is never a surprise.
    const inheriting = [...this.services.keys()].filter(
      (s) =>
        this.isEnabled(s) && !this.config.get('webhooks')[s]?.secret && this.secrets.secrets(s).length > 0,
    );
    if (inheriting.length)
      this.logger.warn(
        `Webhook service(s) ${inheriting.join(', ')} accept deliveries signed with the default secret (webhooks.${DEFAULT_WEBHOOK_SETTINGS_KEY}.secret); give each its own webhooks.<service>.secret, or disable those you do not use`,
      );
    if (unsigned.length)
      this.logger.warn(
        `No secret for webhook service(s) ${unsigned.join(', ')}: their deliveries are refused until webhooks.<service>.secret is set`,
      );
    if (unknown.length)
      this.logger.warn(`webhooks.${unknown.join(', webhooks.')}: no module provides such a webhook service`);
  }

  /** The service if registered and enabled. */
  get(service: string): RegisteredWebhook | undefined {
    if (!SERVICE_NAME_PATTERN.test(service) || !this.isEnabled(service)) return undefined;
    return this.services.get(service);
  }

  list(): string[] {
    return [...this.services.keys()];
  }

  private isEnabled(service: string): boolean {
    const webhooks = this.config.get('webhooks');
    return !Object.hasOwn(webhooks, service) || webhooks[service].enabled;
  }
}
