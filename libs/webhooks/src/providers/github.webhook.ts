import { Injectable } from '@nestjs/common';
import { WebhookProvider } from '../webhook.decorator';
import { headerValue } from '../webhook.crypto';
import type { WebhookDelivery } from '../webhook.interface';
import { HubSignatureVerifier } from './hub-signature.verifier';

/**
 * GitHub: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body>` (the legacy SHA-1
 * `X-Hub-Signature` is not accepted). Deliveries are identified by `X-GitHub-Delivery`, events by
 * `X-GitHub-Event`.
 */
@Injectable()
@WebhookProvider({ service: 'github', description: 'GitHub (X-Hub-Signature-256)' })
export class GithubWebhook extends HubSignatureVerifier {
  readonly deliveryIdHeader = 'X-GitHub-Delivery';
  protected readonly signatureHeader = 'x-hub-signature-256';

  deliveryId(delivery: WebhookDelivery): string | null {
    return headerValue(delivery.headers, 'x-github-delivery') ?? null;
  }

  eventType(delivery: WebhookDelivery): string | null {
    return headerValue(delivery.headers, 'x-github-event') ?? null;
  }
}
