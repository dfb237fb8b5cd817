import {
  BadRequestException,
  Body,
  Controller,
  Get,
  Headers,
  HttpCode,
  Param,
  Post,
  Query,
  Res,
} from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import {
  ApprovalService,
  errorResponse,
  FINAL_STATUSES,
  ORCHESTRATOR_ID,
  UnknownWorkflowError,
  WorkflowDisabledError,
  WorkflowEngine,
  workflowSummary,
  workflowView,
  type AgentResponse,
  type WorkflowStatus,
  type WorkflowSummary,
  type WorkflowView,
} from '@mira/agents';
import { Caller, Roles, type CallerIdentity } from '../security';
import {
  approveBodySchema,
  cancelBodySchema,
  idempotencyKeySchema,
  rejectBodySchema,
  workflowBodySchema,
  workflowListQuerySchema,
  type ApproveBody,
  type CancelBody,
  type RejectBody,
  type WorkflowBody,
  type WorkflowListQuery,
} from './api.schemas';

@Controller('api/v1/workflows')
export class WorkflowsController {
  constructor(
    private readonly engine: WorkflowEngine,
    private readonly approvals: ApprovalService,
  ) {}

  /**
   * Runs a workflow as a durable record: 200 with the finished record, or 202 when it waits for
   * approval; `Location` names the record. `Idempotency-Key` makes a retry return the same record.
   */
  @Post()
  @Roles('submitter')
  async run(
    @Body({ schema: workflowBodySchema }) body: WorkflowBody,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @Caller() caller: CallerIdentity,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<WorkflowView | AgentResponse> {
    const key = idempotencyKeySchema.safeParse(idempotencyKey);
    if (!key.success) throw new BadRequestException(key.error.issues[0].message);
    try {
      const { record } = await this.engine.submit(body, {
        actor: caller.id,
        actorName: caller.name,
        idempotencyKey: key.data ?? null,
      });
      reply.header('location', `/api/v1/workflows/${encodeURIComponent(record.workflow_id)}`);
      // A final status answers 200; anything still going on 202.
      reply.status(FINAL_STATUSES.includes(record.status) ? 200 : 202);
      return workflowView(record);
    } catch (err) {
      // Both answer in the agents' envelope, as they did when this controller checked them itself.
      if (err instanceof WorkflowDisabledError) {
        reply.status(404);
        return errorResponse(ORCHESTRATOR_ID, err.message);
      }
      if (!(err instanceof UnknownWorkflowError)) throw err;
      reply.status(422);
      return errorResponse(ORCHESTRATOR_ID, err.message);
    }
  }

  /** Newest first, as summaries (no `data` or `steps`: GET /:id has them); `next_cursor` pages on. */
  @Get()
  async list(
    @Query({ schema: workflowListQuerySchema }) query: WorkflowListQuery,
  ): Promise<{ items: WorkflowSummary[]; next_cursor: string | null }> {
    const page = await this.approvals.list({
      status: query.status as WorkflowStatus | undefined,
      type: query.type,
      limit: query.limit,
      cursor: query.cursor ?? null,
    });
    return { items: page.items.map(workflowSummary), next_cursor: page.next_cursor };
  }

  @Get(':id')
  async get(@Param('id') id: string): Promise<WorkflowView> {
    return workflowView(await this.approvals.get(id));
  }

  @Post(':id/approve')
  @HttpCode(200)
  @Roles('approver')
  async approve(
    @Param('id') id: string,
    @Body({ schema: approveBodySchema }) body: ApproveBody,
    @Caller() caller: CallerIdentity,
  ): Promise<WorkflowView> {
    return workflowView(
      await this.approvals.decide(id, caller, {
        decision: 'approve',
        comment: body.comment ?? null,
        data_patch: body.data_patch ?? null,
      }),
    );
  }

  @Post(':id/reject')
  @HttpCode(200)
  @Roles('approver')
  async reject(
    @Param('id') id: string,
    @Body({ schema: rejectBodySchema }) body: RejectBody,
    @Caller() caller: CallerIdentity,
  ): Promise<WorkflowView> {
    return workflowView(
      await this.approvals.decide(id, caller, { decision: 'reject', comment: body.comment }),
    );
  }

  /** The requester or an admin withdraws a workflow still waiting for approval. */
  @Post(':id/cancel')
  @HttpCode(200)
  async cancel(
    @Param('id') id: string,
    @Body({ schema: cancelBodySchema }) body: CancelBody,
    @Caller() caller: CallerIdentity,
  ): Promise<WorkflowView> {
    return workflowView(await this.approvals.cancel(id, caller, body.comment ?? null));
  }
}
