import { Injectable } from '@nestjs/common';
import { WebhookProvider } from '../webhook.decorator';
import { headerValue } from '../webhook.crypto';
import type { WebhookDelivery } from '../webhook.interface';
import { HubSignatureVerifier } from './hub-signature.verifier';

/**
 * Jira Cloud admin webhooks registered with a secret (Atlassian's "secure admin webhooks"):
 * `X-Hub-Signature: sha256=<hex HMAC-SHA256 of the body>`. Webhooks of Connect / OAuth 2.0 apps
 * are authenticated with a JWT instead; that scheme is not implemented here.
 * Deliveries are identified by `X-Atlassian-Webhook-Identifier` (stable across retries).
 */
@Injectable()
@WebhookProvider({ service: 'jira', description: 'Jira Cloud admin webhook with secret (X-Hub-Signature)' })
export class JiraWebhook extends HubSignatureVerifier {
  readonly deliveryIdHeader = 'X-Atlassian-Webhook-Identifier';
  protected readonly signatureHeader = 'x-hub-signature';

  deliveryId(delivery: WebhookDelivery): string | null {
    return headerValue(delivery.headers, 'x-atlassian-webhook-identifier') ?? null;
  }

  eventType(_delivery: WebhookDelivery, payload: unknown): string | null {
    const e = (payload as { webhookEvent?: unknown } | null)?.webhookEvent;
    return typeof e === 'string' ? e : null;
  }
}
