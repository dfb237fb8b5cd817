import { headerValue, hmac, matchesAny, parsePrefixedHex } from '../webhook.crypto';
import type { WebhookDelivery, WebhookRejection, WebhookVerifier } from '../webhook.interface';

/**
 * The "hub signature" scheme (WebSub, used by GitHub and Jira): `<header>: sha256=<hex>` where hex
 * is HMAC-SHA256 of the raw body keyed with the shared secret.
 */
export abstract class HubSignatureVerifier implements WebhookVerifier {
  protected abstract readonly signatureHeader: string;

  verify(delivery: WebhookDelivery, secrets: readonly string[]): WebhookRejection | null {
    const header = this.signatureHeader;
    const value = headerValue(delivery.headers, header);
    if (value === undefined) return { reason: 'missing_signature', header };
    const presented = parsePrefixedHex(value, 'sha256=', 32);
    if (!presented) return { reason: 'malformed_signature', header };
    const expected = secrets.map((s) => hmac('sha256', s, delivery.rawBody));
    return matchesAny(presented, expected) ? null : { reason: 'invalid_signature', header };
  }

  abstract deliveryId(delivery: WebhookDelivery, payload: unknown): string | null;
}
