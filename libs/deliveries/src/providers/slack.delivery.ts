import { Injectable } from '@nestjs/common';
import { DeliveryKindProvider } from '../delivery.decorator';
import { slackBody } from '../delivery.format';
import { guardedPost } from '../delivery.http';
import type {
  DeliveryKind,
  DeliveryMessage,
  DeliverySendContext,
  DeliveryTarget,
} from '../delivery.interface';
import { DeliveriesError } from '../deliveries.error';

/** A Slack incoming webhook: a readable message (title, completion, accomplishments, risks, next steps). */
@Injectable()
@DeliveryKindProvider({ kind: 'slack' })
export class SlackDeliveryKind implements DeliveryKind {
  async send(target: DeliveryTarget, message: DeliveryMessage, ctx: DeliverySendContext): Promise<void> {
    const where = `destination ${target.name}`;
    if (!target.url) throw new DeliveriesError('DELIVERY_SEND_FAILED', `${where}: no url configured`, false);
    await guardedPost(
      target.url,
      JSON.stringify(slackBody(message)),
      { 'content-type': 'application/json' },
      { timeoutMs: ctx.timeoutMs, guard: ctx.guard, where },
    );
  }
}
