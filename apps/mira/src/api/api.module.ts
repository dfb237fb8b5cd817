import { Module } from '@nestjs/common';
import { AgentsModule } from '@mira/agents';
import { AgentsController } from './agents.controller';
import { EventsController } from './events.controller';
import { MessagesController } from './messages.controller';
import { WorkflowsController } from './workflows.controller';

@Module({
  imports: [AgentsModule],
  controllers: [MessagesController, WorkflowsController, EventsController, AgentsController],
})
export class ApiModule {}
