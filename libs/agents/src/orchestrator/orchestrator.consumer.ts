import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { MESSAGE_BROKER, REPLY_TO_HEADER, type BrokerMessage, type MessageBroker } from '@mira/broker';
import { setContextFields } from '@mira/logging';
import { errorResponse } from '../agent.response';
import { OrchestratorService } from './orchestrator.service';
import {
  AGENT_RESPONSE_EVENT,
  ORCHESTRATOR_GROUP,
  ORCHESTRATOR_ID,
  WORKFLOW_MESSAGE_TYPE,
} from './routing.constants';

/**
 * Consumes every routed message type (and `workflow`) from the broker in one group,
 * `orchestrator`, so each message reaches one replica; routes it and publishes the answer as
 * `agent.response`. Types routed at run time are consumed from then on.
 */
@Injectable()
export class OrchestratorConsumer implements OnApplicationBootstrap {
  private readonly subscribedTypes = new Set<string>();

  constructor(
    private readonly orchestrator: OrchestratorService,
    @Inject(MESSAGE_BROKER) private readonly broker: MessageBroker,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.orchestrator.onRoutingRuleAdded((type) => this.consume([type]));
    await this.consume([...this.orchestrator.routedTypes(), WORKFLOW_MESSAGE_TYPE]);
  }

  private async consume(types: string[]): Promise<void> {
    const fresh = types.filter((t) => !this.subscribedTypes.has(t));
    if (fresh.length === 0) return;
    await this.broker.subscribe(fresh, (m) => this.handle(m), { group: ORCHESTRATOR_GROUP });
    // Marked only once subscribed: a failed subscribe (broker unavailable) is retried next time.
    fresh.forEach((t) => this.subscribedTypes.add(t));
  }

  private async handle(message: BrokerMessage): Promise<void> {
    setContextFields({ task_id: message.id });
    const data = message.data;
    // A failing handler is retried by the broker (the store or broker may be back by then).
    const response =
      typeof data === 'object' && data !== null && !Array.isArray(data)
        ? // The message id keys a workflow, so a redelivery does not start a second one.
          (
            await this.orchestrator.route(
              { type: message.type, data: data as Record<string, unknown> },
              { idempotencyKey: `broker:${message.id}` },
            )
          ).response
        : errorResponse(ORCHESTRATOR_ID, `Message ${message.id} (${message.type}) has no data object`);
    await this.broker.publish(
      AGENT_RESPONSE_EVENT,
      { message_id: message.id, message_type: message.type, response },
      // Marked as a reply so a draining broker still accepts it: it completes work already accepted.
      { ...message.headers, [REPLY_TO_HEADER]: message.id },
    );
  }
}
