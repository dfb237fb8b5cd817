import { Injectable, Logger } from '@nestjs/common';
import { ORCHESTRATOR_GROUP } from '@mira/agents';
import { BrokerObserverProvider, type BrokerMessageRef, type BrokerObserver } from '@mira/broker';
import { EVENT_RESULT_HEADER } from './event-results.store';
import { EventResultsService } from './event-results.service';

/**
 * Feeds the broker's message lifecycle hooks into event results: a handler of the orchestrator
 * group (the one that answers events) starting on an event marks it `processing`, the broker
 * giving up on it marks it `dead_lettered`. Only messages published through POST /api/v1/events
 * (marked with EVENT_RESULT_HEADER) are events; other groups and internal messages are ignored.
 * Hooks must not throw: store errors are logged.
 */
@Injectable()
@BrokerObserverProvider()
export class EventLifecycleObserver implements BrokerObserver {
  private readonly logger = new Logger('EventResults');

  constructor(private readonly results: EventResultsService) {}

  onProcessing(message: BrokerMessageRef, group: string): void {
    if (!isEvent(message, group)) return;
    this.results.processing(message.id, message.type).catch((err: Error) => this.warn(message, err));
  }

  onMessageDeadLettered(message: BrokerMessageRef, group: string, error: string): void {
    if (!isEvent(message, group)) return;
    this.results.deadLettered(message.id, message.type, error).catch((err: Error) => this.warn(message, err));
  }

  private warn(message: BrokerMessageRef, err: Error): void {
    this.logger.warn(`Event ${message.id} (${message.type}): status not recorded: ${err.message}`);
  }
}

function isEvent(message: BrokerMessageRef, group: string): boolean {
  return group === ORCHESTRATOR_GROUP && message.headers[EVENT_RESULT_HEADER] !== undefined;
}
