import { Body, Controller, HttpCode, Inject, Post } from '@nestjs/common';
import { MESSAGE_BROKER, type MessageBroker } from '@mira/broker';
import { eventBodySchema, type MessageBody } from './api.schemas';
import { Roles } from '../security';

@Roles('submitter')
@Controller('api/v1/events')
export class EventsController {
  constructor(@Inject(MESSAGE_BROKER) private readonly broker: MessageBroker) {}

  /** Publishes on the broker; a full queue surfaces as 503 (see ApiExceptionFilter), never a silent drop. */
  @Post()
  @HttpCode(202)
  async publish(@Body({ schema: eventBodySchema }) body: MessageBody): Promise<{ id: string }> {
    return { id: await this.broker.publish(body.type, body.data) };
  }
}
