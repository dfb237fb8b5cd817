import { Controller, Get, Inject, Optional, Req, Res, UnauthorizedException } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { METRICS_ACCESS_POLICY } from '../metrics.constants';
import type { MetricsAccessPolicy } from '../metrics.interface';
import { MetricsService } from '../registry/metrics.service';

/** Prometheus text exposition. Protection is pluggable through METRICS_ACCESS_POLICY. */
@Controller('metrics')
export class MetricsController {
  constructor(
    private readonly metrics: MetricsService,
    @Optional() @Inject(METRICS_ACCESS_POLICY) private readonly policy: MetricsAccessPolicy | null = null,
  ) {}

  @Get()
  async scrape(@Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<string> {
    if (this.policy && !(await this.policy.allow(req)))
      throw new UnauthorizedException('Reading /metrics needs credentials (api.protect_metrics is on)');
    const body = await this.metrics.render();
    reply.header('content-type', this.metrics.contentType);
    reply.header('cache-control', 'no-store');
    return body;
  }
}
