import { Body, Controller, HttpCode, Post, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { OrchestratorService, type AgentResponse } from '@mira/agents';
import { messageBodySchema, type MessageBody } from './api.schemas';
import { ROUTE_FAILURE_STATUS } from './route-failure';
import { Roles } from '../security';

@Roles('submitter')
@Controller('api/v1/messages')
export class MessagesController {
  constructor(private readonly orchestrator: OrchestratorService) {}

  /** Routes the message to its agent and answers with the agent's envelope. */
  @Post()
  @HttpCode(200)
  async send(
    @Body({ schema: messageBodySchema }) body: MessageBody,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<AgentResponse> {
    const routed = await this.orchestrator.route(body);
    if (!routed.ok) reply.status(ROUTE_FAILURE_STATUS[routed.code]);
    return routed.response;
  }
}
