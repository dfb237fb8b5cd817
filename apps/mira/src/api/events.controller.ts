import { randomUUID } from 'node:crypto';
import { BadRequestException, Body, Controller, Headers, HttpCode, Inject, Post } from '@nestjs/common';
import { MESSAGE_BROKER, type MessageBroker } from '@mira/broker';
import { eventBodySchema, type MessageBody } from './api.schemas';
import { Roles } from '../security';

/**
 * How long a publish remembers its idempotency key: a client retrying an unconfirmed publish
 * (503 BROKER_PUBLISH_UNCONFIRMED) with the same key within it publishes at most once.
 */
export const EVENT_IDEMPOTENCY_TTL_MS = 15 * 60_000;
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,200}$/;

@Roles('submitter')
@Controller('api/v1/events')
export class EventsController {
  constructor(@Inject(MESSAGE_BROKER) private readonly broker: MessageBroker) {}

  /**
   * Publishes on the broker; a full queue surfaces as 503 (see ApiExceptionFilter), never a silent
   * drop. Every publish carries an idempotency key (the client's `Idempotency-Key`, or one made
   * here): when Redis does not confirm a publish, the 503 names the key so a retry with it cannot
   * create a duplicate.
   */
  @Post()
  @HttpCode(202)
  async publish(
    @Body({ schema: eventBodySchema }) body: MessageBody,
    @Headers('idempotency-key') key?: string,
  ): Promise<{ id: string }> {
    if (key !== undefined && !IDEMPOTENCY_KEY.test(key))
      throw new BadRequestException(
        'Idempotency-Key header must be 1 to 200 visible ASCII characters (e.g. a UUID)',
      );
    const id = await this.broker.publish(body.type, body.data, undefined, {
      idempotencyKey: key ?? randomUUID(),
      idempotencyTtlMs: EVENT_IDEMPOTENCY_TTL_MS,
    });
    return { id };
  }
}
