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
  STATUS_RANK,
  type EventResultsStore,
} from './event-results.store';

interface AgentResponseEvent {
  message_id: string;
  message_type: string;
  response: { status?: string; error?: string | null };
}

/**
 * Event results: `queued` when published, `processing` when a handler takes it, `answered` /
 * `failed` when the agent.response comes back (with the envelope), `dead_lettered` when the
 * broker gives up on it (see EventLifecycleObserver), kept events.result_ttl_seconds; `reply_to` sends the answer to a destination.
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
    if (broker.transport === 'redis' && this.redis?.enabled) {
      const client = await this.redis.client('event-results');
      // The client refuses commands until connected (no offline queue): wait for it once.
      await this.redis.ready('event-results');
      this.store = new RedisEventResults(client, `${broker.redis.stream_prefix ?? 'mira:'}event-result:`);
    } else this.store = new MemoryEventResults(this.config.section(eventsConfig).max_results);
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
    // A handler (or even the answer) can land before this write: never step back from it.
    const stored = await store.advance(
      { id, type, status: 'queued', reply_to: replyTo, owner, queued_at: at, updated_at: at, response: null },
      this.ttl(),
    );
    // Answered before its reply_to was known: the answer goes out now.
    if (replyTo && STATUS_RANK[stored.status] >= STATUS_RANK.answered) await this.reply(stored);
  }

  get(id: string): Promise<EventResult | null> {
    return this.results().then((s) => s.get(id));
  }

  /** A handler took the event (called by EventLifecycleObserver, on each attempt). */
  async processing(id: string, type: string): Promise<void> {
    const at = new Date().toISOString();
    await (
      await this.results()
    ).advance(
      { id, type, status: 'processing', reply_to: null, queued_at: at, updated_at: at, response: null },
      this.ttl(),
    );
  }

  /** The broker gave up on the event: no answer will come; a reply_to destination is told. */
  async deadLettered(id: string, type: string, error: string): Promise<void> {
    const at = new Date().toISOString();
    const store = await this.results();
    const before = await store.get(id);
    if (before && STATUS_RANK[before.status] >= STATUS_RANK.dead_lettered) return;
    const stored = await store.advance(
      // The broker's reason only (never the message data), in the envelope shape of a failure.
      {
        id,
        type,
        status: 'dead_lettered',
        reply_to: null,
        queued_at: at,
        updated_at: at,
        response: { status: 'error', error },
      },
      this.ttl(),
    );
    this.logger.debug(`Event ${id} (${type}) dead_lettered`);
    if (stored.status === 'dead_lettered') await this.reply(stored);
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
