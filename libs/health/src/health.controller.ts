import { Controller, Get, Res, ServiceUnavailableException } from '@nestjs/common';
import { HealthCheckService, type HealthCheckResult, type HealthIndicatorFunction } from '@nestjs/terminus';
import type { FastifyReply } from 'fastify';
import type { FullHealthReport } from './health.interface';
import { HealthService } from './health.service';

/**
 * `/healthz` (everything, foundation shape: healthy/degraded 200, unhealthy 503) and the three
 * Kubernetes probes, which answer in terminus' `{ status, info, error, details }` shape.
 */
@Controller('healthz')
export class HealthController {
  constructor(
    private readonly health: HealthService,
    private readonly terminus: HealthCheckService,
  ) {}

  @Get()
  async full(@Res({ passthrough: true }) reply: FastifyReply): Promise<FullHealthReport> {
    const report = await this.health.report();
    reply.status(report.status === 'unhealthy' ? 503 : 200);
    reply.header('cache-control', 'no-store');
    return report;
  }

  /** 200 while the event loop turns; never fails for a dependency or during a drain. */
  @Get('live')
  live(@Res({ passthrough: true }) reply: FastifyReply): Promise<HealthCheckResult> {
    return this.probe(reply, [() => this.health.liveness()]);
  }

  /** 503 before startup completes, while shutting down, or when a readiness indicator is down. */
  @Get('ready')
  async ready(@Res({ passthrough: true }) reply: FastifyReply): Promise<HealthCheckResult> {
    const results = await this.health.readinessIndicators();
    return this.probe(
      reply,
      results.map((r) => () => r),
    );
  }

  /** 200 once initialisation (and every tracked startup task) finished. */
  @Get('startup')
  startup(@Res({ passthrough: true }) reply: FastifyReply): Promise<HealthCheckResult> {
    return this.probe(reply, [() => this.health.startup()]);
  }

  /** terminus decides the status; its 503 is answered here with the full result as the body. */
  private async probe(
    reply: FastifyReply,
    indicators: HealthIndicatorFunction[],
  ): Promise<HealthCheckResult> {
    reply.header('cache-control', 'no-store');
    try {
      return await this.terminus.check(indicators);
    } catch (err) {
      if (!(err instanceof ServiceUnavailableException)) throw err;
      reply.status(503);
      return err.getResponse() as HealthCheckResult;
    }
  }
}
