import { Injectable } from '@nestjs/common';
import { HealthIndicatorProvider, type HealthContributor, type HealthIndicatorResult } from '@mira/health';
import { SchedulerService } from './scheduler.service';

/** `schedules`: degraded when a schedule is behind by more than its period (never fails readiness). */
@Injectable()
@HealthIndicatorProvider({ name: 'schedules', readiness: false })
export class SchedulesHealthIndicator implements HealthContributor {
  constructor(private readonly scheduler: SchedulerService) {}

  async check(): Promise<HealthIndicatorResult> {
    try {
      const late = await this.scheduler.behind();
      return late.length
        ? {
            status: 'degraded',
            reason: `behind by more than their period: ${late.slice(0, 10).join(', ')}`,
            behind: late.length,
          }
        : { status: 'healthy', behind: 0 };
    } catch {
      return { status: 'degraded', reason: 'schedules could not be read from the state store' };
    }
  }
}
