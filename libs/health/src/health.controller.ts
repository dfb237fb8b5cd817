import { Controller, Get, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { HEALTH_ROUTE } from './health.constants';
import type { ProbeName } from './health.interface';
import { HealthProbes } from './health.probes';

/**
 * `/healthz` (everything, foundation shape) and the three Kubernetes probes. With the fast
 * path attached (see HealthFastPath) these routes only answer what the fast path leaves to the
 * framework (other methods) or when it is switched off; both serve HealthProbes' answers.
 */
@Controller(HEALTH_ROUTE)
export class HealthController {
  constructor(private readonly probes: HealthProbes) {}

  @Get()
  full(@Res({ passthrough: true }) reply: FastifyReply): Promise<unknown> {
    return this.answer(reply, 'full');
  }

  @Get('live')
  live(@Res({ passthrough: true }) reply: FastifyReply): Promise<unknown> {
    return this.answer(reply, 'live');
  }

  @Get('ready')
  ready(@Res({ passthrough: true }) reply: FastifyReply): Promise<unknown> {
    return this.answer(reply, 'ready');
  }

  @Get('startup')
  startup(@Res({ passthrough: true }) reply: FastifyReply): Promise<unknown> {
    return this.answer(reply, 'startup');
  }

  private async answer(reply: FastifyReply, probe: ProbeName): Promise<unknown> {
    const { statusCode, body } = await this.probes.answer(probe);
    reply.status(statusCode);
    reply.header('cache-control', 'no-store');
    return body;
  }
}
