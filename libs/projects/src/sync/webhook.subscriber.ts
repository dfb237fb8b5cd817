import {
  Inject,
  Injectable,
  Logger,
  Optional,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { MESSAGE_BROKER, type BrokerMessage, type MessageBroker, type Subscription } from '@mira/broker';
import { ConnectorRegistry } from '../connectors/connector.registry';
import { ProjectsMetrics } from '../projects.metrics';
import { ProjectsService } from '../projects.service';

/** The part of @mira/webhooks' `webhook.<service>` event read here. */
interface WebhookEvent {
  event: string | null;
  payload: unknown;
}

/** One group for all replicas: each verified delivery updates the stored tasks once. */
export const PROJECTS_WEBHOOK_GROUP = 'projects-webhooks';

/**
 * Applies the trackers' webhook deliveries (verified and published as `webhook.<service>` by
 * @mira/webhooks) to the tasks of every project with a matching source, at once.
 */
@Injectable()
export class WebhookSubscriber implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Projects');
  private subscription: Subscription | null = null;

  constructor(
    @Inject(MESSAGE_BROKER) private readonly broker: MessageBroker,
    private readonly connectors: ConnectorRegistry,
    private readonly projects: ProjectsService,
    @Optional() @Inject(ProjectsMetrics) private readonly metrics: ProjectsMetrics | null,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const types = [
      ...new Set(this.connectors.kinds().map((k) => `webhook.${this.connectors.get(k).webhookService}`)),
    ];
    this.subscription = await this.broker.subscribe<WebhookEvent>(types, (m) => this.apply(m), {
      group: PROJECTS_WEBHOOK_GROUP,
    });
  }

  async onModuleDestroy(): Promise<void> {
    await this.subscription?.unsubscribe();
  }

  /** Returns how many tasks changed (for tests and logs). */
  async apply(message: BrokerMessage<WebhookEvent>): Promise<number> {
    const service = message.type.slice('webhook.'.length);
    let changed = 0;
    for (const kind of this.connectors.kinds()) {
      const connector = this.connectors.get(kind);
      if (connector.webhookService !== service) continue;
      const change = connector.fromWebhook(message.data?.event ?? null, message.data?.payload);
      if (!change) continue;
      for (const project of await this.projects.list()) {
        for (const source of project.sources.filter((s) => change.matches(s))) {
          const id = connector.sourceId(source);
          if (change.deleteId)
            changed += await this.projects.store.deleteTasks(project.name, id, [change.deleteId]);
          else if (change.task) {
            await this.projects.store.upsertTasks(project.name, [change.task(source, project.status_map)]);
            changed++;
            this.metrics?.webhookItems(kind, 1);
          }
        }
      }
    }
    if (changed) this.logger.log(`${message.type} ${message.id}: ${changed} task(s) updated`);
    return changed;
  }
}
