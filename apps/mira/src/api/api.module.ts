import { Module } from '@nestjs/common';
import { AgentsModule } from '@mira/agents';
import { AgentsController } from './agents.controller';
import { AuditController } from './audit.controller';
import { EventsController } from './events.controller';
import { MessagesController } from './messages.controller';
import { WorkflowsController } from './workflows.controller';
import { WebhooksModule } from './webhooks/webhooks.module';

@Module({
  imports: [AgentsModule, WebhooksModule],
  controllers: [MessagesController, WorkflowsController, AuditController, EventsController, AgentsController],
})
export class ApiModule {}
