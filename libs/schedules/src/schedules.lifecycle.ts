import { Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { ConfigStore } from '@mira/config';
import { SchedulerService } from './scheduler.service';
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
  ) {}

  async onApplicationBootstrap(): Promise<void> {
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
