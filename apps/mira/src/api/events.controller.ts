import {
  BadRequestException,
  Body,
  Controller,
  Get,
  Headers,
  HttpCode,
  Inject,
  NotFoundException,
  Param,
  Post,
} from '@nestjs/common';
import { BrokerError, MESSAGE_BROKER, type MessageBroker } from '@mira/broker';
import { DeliveriesService } from '@mira/deliveries';
import { eventBodySchema, type MessageBody } from './api.schemas';
import { eventIdempotencyScope } from './event-idempotency.scope';
import { EventResultsService } from '../events/event-results.service';
import { EVENT_RESULT_HEADER, type EventResult } from '../events/event-results.store';
import { Caller, Roles, type CallerIdentity } from '../security';

/**
 * How long a publish remembers its idempotency key: a client retrying an unconfirmed publish
 * (503 BROKER_PUBLISH_UNCONFIRMED) with the same key within it publishes at most once.
 */
export const EVENT_IDEMPOTENCY_TTL_MS = 15 * 60_000;
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,200}$/;

/**
 * Whose event this is. Event ids are guessable (a counter, or Redis `<ms>-<seq>`), so ownership is
 * the access control. One place to switch to the caller's stable id once CallerIdentity has one.
 */
export function eventOwner(caller: CallerIdentity): string {
  return caller.id;
}

@Roles('submitter')
@Controller('api/v1/events')
export class EventsController {
  constructor(
    @Inject(MESSAGE_BROKER) private readonly broker: MessageBroker,
    private readonly results: EventResultsService,
    private readonly deliveries: DeliveriesService,
  ) {}

  /** The event's status (queued, answered, failed) and, once answered, the agent's envelope. */
  @Get(':id')
  @Roles('submitter', 'auditor')
  async status(@Param('id') id: string, @Caller() caller: CallerIdentity): Promise<EventResult> {
    const found = await this.results.get(id);
    // Someone else's event answers exactly like a missing one: no probing which ids exist.
    const mayRead =
      !!found &&
      (caller.roles.includes('auditor') ||
        caller.roles.includes('admin') ||
        (!!found.owner && found.owner === eventOwner(caller)));
    if (!found || !mayRead)
      throw new NotFoundException(
        `No event ${id} of yours (results are kept events.result_ttl_seconds after publication)`,
      );
    const { owner: _owner, ...result } = found;
    return result;
  }

  /**
   * Publishes on the broker; a full queue surfaces as 503 (see ApiExceptionFilter), never a silent
   * drop. With an `Idempotency-Key`, a publish Redis did not confirm (503) can be retried with the
   * same key without creating a duplicate.
   */
  @Post()
  @HttpCode(202)
  async publish(
    @Body({ schema: eventBodySchema }) body: MessageBody & { reply_to?: string },
    @Caller() caller: CallerIdentity,
    @Headers('idempotency-key') key?: string,
  ): Promise<{ id: string }> {
    if (key !== undefined && !IDEMPOTENCY_KEY.test(key))
      throw new BadRequestException(
        'Idempotency-Key header must be 1 to 200 visible ASCII characters (e.g. a UUID)',
      );
    if (body.reply_to && this.deliveries.unknownDestinations([body.reply_to]).length)
      throw new BadRequestException(
        `reply_to: unknown destination ${body.reply_to}; declare it under deliveries.destinations`,
      );
    // Only a key the client sent is stored (nobody else could retry with it), and it is scoped to
    // the caller and the type, so two clients, or two kinds of event, never share one (hashed:
    // no separator can make two callers' scopes meet).
    const scope = key === undefined ? undefined : eventIdempotencyScope(caller.id, body.type, key);
    try {
      const id = await this.broker.publish(
        body.type,
        body.data,
        { [EVENT_RESULT_HEADER]: '1' },
        scope === undefined
          ? undefined
          : { idempotencyKey: scope, idempotencyTtlMs: EVENT_IDEMPOTENCY_TTL_MS },
      );
      await this.results.queued(id, body.type, body.reply_to ?? null, eventOwner(caller));
      return { id };
    } catch (err) {
      // The broker names the key to retry with: the client's, not the internal scope.
      if (scope !== undefined && err instanceof BrokerError && err.message.includes(scope))
        throw new BrokerError(err.code, err.message.split(scope).join(key!), err.retryable);
      throw err;
    }
  }
}
