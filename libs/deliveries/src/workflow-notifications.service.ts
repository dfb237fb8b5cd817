import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { MESSAGE_BROKER, type BrokerMessage, type MessageBroker } from '@mira/broker';
import { ConfigStore } from '@mira/config';
import { deliveriesConfig } from './deliveries.config';
import { DeliveriesService } from './deliveries.service';

// The events the workflow engine already publishes (see @mira/agents routing constants).
const EVENTS = {
  'workflow.completed': 'completed',
  'workflow.failed': 'failed',
  'governance.pending_approval': 'pending_approval',
} as const;

interface WorkflowEvent {
  workflow_id?: string;
  workflow_type?: string;
  [key: string]: unknown;
}

/**
 * deliveries.workflows.<type>: { on, destinations }: turns the engine's workflow events into
 * outbox rows. One group across replicas, and one row per (workflow, outcome, destination).
 */
@Injectable()
export class WorkflowNotifications implements OnApplicationBootstrap {
  private readonly logger = new Logger('Deliveries');

  constructor(
    @Inject(MESSAGE_BROKER) private readonly broker: MessageBroker,
    private readonly config: ConfigStore,
    private readonly deliveries: DeliveriesService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.broker.subscribe(Object.keys(EVENTS), (m) => this.handle(m as BrokerMessage<WorkflowEvent>), {
      group: 'deliveries-workflows',
    });
  }

  async handle(m: BrokerMessage<WorkflowEvent>): Promise<void> {
    const outcome = EVENTS[m.type as keyof typeof EVENTS];
    const { workflow_id: id, workflow_type: type } = m.data ?? {};
    if (!outcome || !id || !type) return;
    const rule = this.config.section(deliveriesConfig).workflows[type];
    if (!rule?.on.includes(outcome)) return;
    // A failure here is retried by the broker; the row id makes a redelivery a no-op.
    await this.deliveries.enqueue(null, rule.destinations, {
      source: `workflow:${id}:${outcome}`,
      type: `workflow.${outcome}`,
      title: `Workflow ${type} ${id}: ${outcome.replace('_', ' ')}`,
      data: m.data,
    });
    this.logger.debug(`Workflow ${id} ${outcome}: queued for ${rule.destinations.join(', ')}`);
  }
}
