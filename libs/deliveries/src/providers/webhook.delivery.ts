import { Injectable } from '@nestjs/common';
import { DeliveryKindProvider } from '../delivery.decorator';
import { guardedPost } from '../delivery.http';
import type {
  DeliveryKind,
  DeliveryMessage,
  DeliverySendContext,
  DeliveryTarget,
} from '../delivery.interface';
import { DeliveriesError } from '../deliveries.error';

/** The signed body and headers of a Standard Webhooks delivery (https://www.standardwebhooks.com). */
export async function standardWebhookRequest(
  secret: string | null,
  message: DeliveryMessage,
  now: Date,
): Promise<{ body: string; headers: Record<string, string> }> {
  const body = JSON.stringify({ type: message.type, timestamp: message.occurred_at, data: message.data });
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'webhook-id': message.id,
    'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
  };
  if (secret) {
    const { Webhook } = await import('standardwebhooks');
    let signer: InstanceType<typeof Webhook>;
    try {
      signer = new Webhook(secret);
    } catch {
      throw new DeliveriesError(
        'DELIVERY_SEND_FAILED',
        'the destination secret is not a Standard Webhooks secret; use whsec_<base64> (or a secret:// reference to one)',
        false,
      );
    }
    headers['webhook-signature'] = signer.sign(message.id, now, body);
  }
  return { body, headers };
}

@Injectable()
@DeliveryKindProvider({ kind: 'webhook' })
export class WebhookDeliveryKind implements DeliveryKind {
  async send(target: DeliveryTarget, message: DeliveryMessage, ctx: DeliverySendContext): Promise<void> {
    const where = `destination ${target.name}`;
    if (!target.url) throw new DeliveriesError('DELIVERY_SEND_FAILED', `${where}: no url configured`, false);
    // Signed per attempt (fresh timestamp), with the same webhook-id so the receiver can de-duplicate.
    const { body, headers } = await standardWebhookRequest(target.secret, message, new Date());
    await guardedPost(target.url, body, headers, { timeoutMs: ctx.timeoutMs, guard: ctx.guard, where });
  }
}
