import { createHash } from 'node:crypto';
import { headerValue, hmac, matchesAny } from '../webhook.crypto';
import type { WebhookDelivery, WebhookRejection, WebhookVerifier } from '../webhook.interface';

export const MIRA_SIGNATURE_HEADER = 'x-mira-signature';

/** Builds the header value for a body, for senders and tests: `t=<unix>,v1=<hex>`. */
export function signMira(secret: string, body: Buffer | string, unixSeconds: number): string {
  return `t=${unixSeconds},v1=${hmac('sha256', secret, `${unixSeconds}.`, body).toString('hex')}`;
}

/**
 * The generic timestamped scheme for services a module adds:
 * `X-Mira-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">` (several v1
 * entries allowed, e.g. while the sender rotates). Signing the timestamp bounds replays to
 * `tolerance_seconds` (default 300) either side of now. Extend it and decorate the subclass:
 * `@WebhookProvider({ service: 'acme' }) class AcmeWebhook extends MiraSignatureVerifier {}`.
 */
export class MiraSignatureVerifier implements WebhookVerifier {
  verify(delivery: WebhookDelivery, secrets: readonly string[]): WebhookRejection | null {
    const header = MIRA_SIGNATURE_HEADER;
    const value = headerValue(delivery.headers, header);
    if (value === undefined) return { reason: 'missing_signature', header };
    const parsed = parseMiraSignature(value);
    if (!parsed) return { reason: 'malformed_signature', header };
    const skew = Math.abs(delivery.receivedAt / 1000 - parsed.t);
    if (skew > delivery.settings.tolerance_seconds) return { reason: 'stale_timestamp', header };
    const expected = secrets.map((s) => hmac('sha256', s, `${parsed.t}.`, delivery.rawBody));
    let ok = false;
    for (const sig of parsed.v1) if (matchesAny(sig, expected)) ok = true;
    return ok ? null : { reason: 'invalid_signature', header };
  }

  /**
   * Built from signed material only: the timestamp and a digest of the body. An unsigned header
   * (X-Mira-Delivery) or re-formatting the signature header (extra keys, hex case) must not turn
   * a captured delivery into a "new" one inside the tolerance window.
   */
  deliveryId(delivery: WebhookDelivery): string | null {
    const value = headerValue(delivery.headers, MIRA_SIGNATURE_HEADER);
    const parsed = value === undefined ? null : parseMiraSignature(value);
    if (!parsed) return null;
    return `${parsed.t}.${createHash('sha256').update(delivery.rawBody).digest('hex')}`;
  }

  eventType(delivery: WebhookDelivery): string | null {
    return headerValue(delivery.headers, 'x-mira-event') ?? null;
  }
}

export function parseMiraSignature(value: string): { t: number; v1: Buffer[] } | null {
  let t: number | null = null;
  const v1: Buffer[] = [];
  for (const part of value.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) return null;
    const key = part.slice(0, eq).trim();
    const val = part.slice(eq + 1).trim();
    if (key === 't') {
      if (!/^\d{1,12}$/.test(val) || t !== null) return null;
      t = Number(val);
    } else if (key === 'v1') {
      if (!/^[0-9a-f]{64}$/i.test(val)) return null;
      v1.push(Buffer.from(val, 'hex'));
    }
    // Unknown keys (future schemes) are ignored, as senders may add them.
  }
  return t !== null && v1.length > 0 && v1.length <= 8 ? { t, v1 } : null;
}
