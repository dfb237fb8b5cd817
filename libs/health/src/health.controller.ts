import { Controller, Get, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { HealthReport } from './health.interface';
import { HealthService } from './health.service';

/** `healthy` and `degraded` answer 200, `unhealthy` 503. */
@Controller('healthz')
export class HealthController {
  constructor(private readonly health: HealthService) {}

  @Get()
  async full(@Res({ passthrough: true }) reply: FastifyReply): Promise<HealthReport> {
    const report = await this.health.report();
    reply.status(report.status === 'unhealthy' ? 503 : 200);
    reply.header('cache-control', 'no-store');
    return report;
  }
}
