import { Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { AgentError, ReportSchedules } from '@mira/agents';
import { ConfigStore } from '@mira/config';
import { nextRuns } from './schedule.plan';
import { SchedulerService } from './scheduler.service';
import { SchedulesError } from './schedules.error';
import { SchedulesService } from './schedules.service';

/** Reconciles config-declared schedules on start and on reload, then starts the tick loop. */
@Injectable()
export class SchedulesLifecycle implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Schedules');
  private unsubscribe: (() => void) | null = null;

  constructor(
    private readonly scheduler: SchedulerService,
    private readonly schedules: SchedulesService,
    private readonly config: ConfigStore,
    private readonly reports: ReportSchedules,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    // schedule_report { create: true } stores a weekly generate_report schedule here.
    this.reports.register({
      create: async (r) => {
        const s = await this.schedules
          .create(
            {
              name: r.name,
              cron: r.cron,
              timezone: r.timezone,
              target: { message: { type: 'generate_report', data: r.report } },
              deliveries: r.deliveries,
              overlap: 'skip',
              catch_up: 'latest',
              paused: false,
            },
            r.owner,
          )
          .catch((err: unknown) => {
            // The asker's mistake (unknown destination, taken name, bad zone): say so, not "internal error".
            if (err instanceof SchedulesError) throw new AgentError('AGENT_INVALID_INPUT', err.message);
            throw err;
          });
        const [next] = nextRuns(s.cron, s.timezone, this.scheduler.clock.now(), 1);
        return { id: s.id, name: s.name, next_run: next?.toISOString() ?? null };
      },
    });
    await this.schedules.reconcile();
    this.unsubscribe = this.config.onChange(() => {
      this.schedules.reconcile().catch((err: Error) => this.logger.warn(`Reconcile failed: ${err.message}`));
    }, 'schedules');
    this.scheduler.start();
  }

  async onModuleDestroy(): Promise<void> {
    this.unsubscribe?.();
    await this.scheduler.drain();
  }
}
