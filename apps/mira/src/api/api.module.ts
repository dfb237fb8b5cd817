import { Module } from '@nestjs/common';
import { AgentsModule } from '@mira/agents';
import { ConfigStore } from '@mira/config';
import { WebhooksModule } from '@mira/webhooks';
import { EdgeClock } from '../security/edge-clock';
import { jsonTooDeep, nestsDeeperThan } from '../security/edge-limits';
import { AgentsController } from './agents.controller';
import { AuditController } from './audit.controller';
import { EventsController } from './events.controller';
import { MessagesController } from './messages.controller';
import { OfrepController } from './ofrep.controller';
import { WorkflowsController } from './workflows.controller';
import { ProjectsController } from './projects.controller';
import { SchedulesController } from './schedules.controller';
import { DeliveriesController } from './deliveries.controller';
import { SchedulesModule } from '@mira/schedules';
import { DeliveriesModule } from '@mira/deliveries';
import { EventResultsModule } from '../events/event-results.module';

@Module({
  imports: [
    AgentsModule,
    DeliveriesModule,
    SchedulesModule,
    EventResultsModule,
    WebhooksModule.forRootAsync({
      // The edge's clock (tests move it) and its JSON depth limit, read live like the parser's.
      inject: [EdgeClock, ConfigStore],
      useFactory: (clock: EdgeClock, config: ConfigStore) => ({
        clock,
        payloadLimit: (payload: unknown) => {
          const max = config.get('server').max_json_depth;
          return nestsDeeperThan(payload, max) ? jsonTooDeep(max).message : null;
        },
      }),
    }),
  ],
  controllers: [
    MessagesController,
    WorkflowsController,
    AuditController,
    EventsController,
    AgentsController,
    ProjectsController,
    SchedulesController,
    DeliveriesController,
    OfrepController,
  ],
})
export class ApiModule {}
