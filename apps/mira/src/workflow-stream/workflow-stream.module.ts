import { Module } from '@nestjs/common';
import { AgentsModule } from '@mira/agents';
import { WorkflowStreamController } from './workflow-stream.controller';
import { WorkflowStreamHub } from './workflow-stream.hub';

/** GET /api/v1/workflows/stream: live workflow changes as Server-Sent Events. */
@Module({
  imports: [AgentsModule],
  controllers: [WorkflowStreamController],
  providers: [WorkflowStreamHub],
})
export class WorkflowStreamModule {}
