import {
  Controller,
  Get,
  Headers,
  HttpException,
  HttpStatus,
  Query,
  Req,
  Res,
  ServiceUnavailableException,
} from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { WORKFLOW_STATUSES } from '@mira/agents';
import { Caller, IdentityResolvers, type CallerIdentity } from '../security';
import { MAX_STREAMS_PER_CALLER, WorkflowStreamHub } from './workflow-stream.hub';

/** The list's filters (`?status=&type=`); limit and cursor mean nothing on a stream. */
const streamQuerySchema = z.object({
  status: z.enum(WORKFLOW_STATUSES as [string, ...string[]]).optional(),
  type: z.string().min(1).max(200).optional(),
});
type StreamQuery = z.infer<typeof streamQuerySchema>;

/** Roles that read every workflow; a caller with none of them sees only their own requests. */
const READERS = ['approver', 'auditor', 'admin'];

@Controller('api/v1/workflows/stream')
export class WorkflowStreamController {
  constructor(
    private readonly hub: WorkflowStreamHub,
    private readonly resolvers: IdentityResolvers,
  ) {}

  /**
   * Server-Sent Events: `workflow.created`, `workflow.updated`, `workflow.decided` as they happen
   * on any replica; `Last-Event-ID` resumes (or `stream.reset` says to reload); heartbeats as comments.
   */
  @Get()
  open(
    @Query({ schema: streamQuerySchema }) query: StreamQuery,
    @Headers('last-event-id') lastEventId: string | undefined,
    @Caller() caller: CallerIdentity,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
  ): void {
    if (!this.hub.hasRoom()) {
      throw new ServiceUnavailableException(
        'This replica serves as many live streams as it may right now: retry in a few seconds, or poll GET /api/v1/workflows',
      );
    }
    if (!this.hub.hasRoomFor(caller.id)) {
      throw new HttpException(
        `You already hold ${MAX_STREAMS_PER_CALLER} live streams (the per-caller limit) on this replica: close one before opening another`,
        HttpStatus.TOO_MANY_REQUESTS,
      );
    }
    const reader = caller.roles.some((r) => READERS.includes(r));
    reply.hijack();
    this.hub.open(
      reply.raw,
      caller.id,
      // Records carry the submitter's stable id (`key:sam`, `oidc:host:sub`), not the display name.
      { status: query.status, type: query.type, requestedBy: reader ? undefined : caller.id },
      lastEventId?.slice(0, 100),
      // Still the same caller with every role the stream was opened with (its filter depends on them).
      async () => {
        const now = await this.resolvers.recheck(req);
        return now !== null && now.id === caller.id && caller.roles.every((r) => now.roles.includes(r));
      },
    );
  }
}
