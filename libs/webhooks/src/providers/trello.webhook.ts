import { Injectable } from '@nestjs/common';
import { WebhookProvider } from '../webhook.decorator';
import { headerValue, hmac, matchesAny } from '../webhook.crypto';
import type { WebhookDelivery, WebhookRejection, WebhookVerifier } from '../webhook.interface';

const BASE64 = /^[A-Za-z0-9+/]{27}=$/;

/**
 * Trello: `X-Trello-Webhook` is the base64 HMAC-SHA1 of the body followed by the callback URL
 * exactly as registered, keyed with the application's OAuth secret. The callback URL comes from
 * `webhooks.trello.callback_url`, else the URL the request arrived on (set it when a proxy
 * rewrites scheme, host or path). Trello sends no delivery id: the action id is used.
 */
@Injectable()
@WebhookProvider({ service: 'trello', description: 'Trello (X-Trello-Webhook)' })
export class TrelloWebhook implements WebhookVerifier {
  verify(delivery: WebhookDelivery, secrets: readonly string[]): WebhookRejection | null {
    const header = 'x-trello-webhook';
    const value = headerValue(delivery.headers, header);
    if (value === undefined) return { reason: 'missing_signature', header };
    if (!BASE64.test(value)) return { reason: 'malformed_signature', header };
    const callbackUrl = delivery.settings.callback_url ?? delivery.url;
    const expected = secrets.map((s) => hmac('sha1', s, delivery.rawBody, callbackUrl));
    return matchesAny(Buffer.from(value, 'base64'), expected)
      ? null
      : { reason: 'invalid_signature', header };
  }

  deliveryId(_delivery: WebhookDelivery, payload: unknown): string | null {
    const id = (payload as { action?: { id?: unknown } } | null)?.action?.id;
    return typeof id === 'string' ? id : null;
  }

  eventType(_delivery: WebhookDelivery, payload: unknown): string | null {
    const type = (payload as { action?: { type?: unknown } } | null)?.action?.type;
    return typeof type === 'string' ? type : null;
  }
}
