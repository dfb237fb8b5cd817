import { Inject, Injectable, Logger, Optional, type OnApplicationBootstrap } from '@nestjs/common';
import { AGENT_RESPONSE_EVENT } from '@mira/agents';
import { MESSAGE_BROKER, type BrokerMessage, type MessageBroker } from '@mira/broker';
import { ConfigStore } from '@mira/config';
import { DeliveriesService } from '@mira/deliveries';
import { RedisConnections } from '@mira/redis';
import { eventsConfig } from './event-results.config';
import {
  MemoryEventResults,
  RedisEventResults,
  type EventResult,
  type EventResultsStore,
} from './event-results.store';

interface AgentResponseEvent {
  message_id: string;
  message_type: string;
  response: { status?: string; error?: string | null };
}

/**
 * Event results: `queued` when published, `answered` / `failed` when the agent.response comes
 * back (with the envelope), kept events.result_ttl_seconds; `reply_to` sends the answer to a destination.
 */
@Injectable()
export class EventResultsService implements OnApplicationBootstrap {
  private readonly logger = new Logger('EventResults');
  private store: EventResultsStore | null = null;

  constructor(
    @Inject(MESSAGE_BROKER) private readonly broker: MessageBroker,
    private readonly config: ConfigStore,
    private readonly deliveries: DeliveriesService,
    @Optional() private readonly redis?: RedisConnections,
  ) {}

  private ttl(): number {
    return this.config.section(eventsConfig).result_ttl_seconds;
  }

  private async results(): Promise<EventResultsStore> {
    if (this.store) return this.store;
    const broker = this.config.get('broker');
    this.store =
      broker.transport === 'redis' && this.redis
        ? new RedisEventResults(
            await this.redis.client('event-results'),
            `${broker.redis.stream_prefix ?? 'mira:'}event-result:`,
          )
        : new MemoryEventResults(this.config.section(eventsConfig).max_results);
    return this.store;
  }

  async onApplicationBootstrap(): Promise<void> {
    // One group across replicas: each answer is recorded (and its reply delivered) once.
    await this.broker.subscribe(
      AGENT_RESPONSE_EVENT,
      (m) => this.answered(m as BrokerMessage<AgentResponseEvent>),
      {
        group: 'event-results',
      },
    );
  }

  /** `owner` is the publisher (eventOwner): the result is theirs to read. */
  async queued(id: string, type: string, replyTo: string | null, owner: string): Promise<void> {
    const at = new Date().toISOString();
    const store = await this.results();
    // An answer can land before this write (a fast agent): never step back from it.
    const existing = await store.get(id);
    if (existing) {
      await store.put({ ...existing, reply_to: existing.reply_to ?? replyTo, owner }, this.ttl());
      if (replyTo && existing.status !== 'queued') await this.reply({ ...existing, reply_to: replyTo });
      return;
    }
    await store.put(
      { id, type, status: 'queued', reply_to: replyTo, owner, queued_at: at, updated_at: at, response: null },
      this.ttl(),
    );
  }

  get(id: string): Promise<EventResult | null> {
    return this.results().then((s) => s.get(id));
  }

  private async answered(m: BrokerMessage<AgentResponseEvent>): Promise<void> {
    const { message_id: id, message_type: type, response } = m.data ?? ({} as AgentResponseEvent);
    if (!id) return;
    const store = await this.results();
    const before = await store.get(id);
    const at = new Date().toISOString();
    const result: EventResult = {
      id,
      type: type ?? before?.type ?? 'unknown',
      status: response?.status === 'success' ? 'answered' : 'failed',
      reply_to: before?.reply_to ?? null,
      owner: before?.owner ?? null,
      queued_at: before?.queued_at ?? at,
      updated_at: at,
      response,
    };
    await store.put(result, this.ttl());
    this.logger.debug(`Event ${id} (${result.type}) ${result.status}`);
    await this.reply(result);
  }

  private async reply(result: EventResult): Promise<void> {
    if (!result.reply_to) return;
    await this.deliveries
      .enqueue(null, [result.reply_to], {
        source: `event:${result.id}`,
        type: `event.${result.status}`,
        title: `Event ${result.type}`,
        data: {
          event_id: result.id,
          event_type: result.type,
          status: result.status,
          response: result.response,
        },
      })
      .catch((err: Error) => this.logger.warn(`Event ${result.id}: reply not queued: ${err.message}`));
  }
}
