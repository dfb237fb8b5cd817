import { Body, Controller, HttpCode, Post, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import {
  OrchestratorService,
  UnknownWorkflowError,
  errorResponse,
  ORCHESTRATOR_ID,
  type AgentResponse,
  type WorkflowResult,
} from '@mira/agents';
import { workflowBodySchema, type WorkflowBody } from './api.schemas';

@Controller('api/v1/workflows')
export class WorkflowsController {
  constructor(private readonly orchestrator: OrchestratorService) {}

  /** Runs a workflow; the result carries `status` completed | failed | pending_approval. */
  @Post()
  @HttpCode(200)
  async run(
    @Body({ schema: workflowBodySchema }) body: WorkflowBody,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<WorkflowResult | AgentResponse> {
    try {
      return await this.orchestrator.runWorkflow(body);
    } catch (err) {
      if (!(err instanceof UnknownWorkflowError)) throw err;
      reply.status(422);
      return errorResponse(ORCHESTRATOR_ID, err.message);
    }
  }
}
