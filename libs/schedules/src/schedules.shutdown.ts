import { Injectable } from '@nestjs/common';
import { SHUTDOWN_PRIORITY, ShutdownHook, type OnShutdown } from '@mira/shutdown';
import { SchedulerService } from './scheduler.service';

// Before deliveries drain (AGENTS + 1) and the store closes: no new claims, runs in flight finish.
export const SCHEDULES_SHUTDOWN_PRIORITY = SHUTDOWN_PRIORITY.AGENTS;

@Injectable()
@ShutdownHook({ name: 'schedules', priority: SCHEDULES_SHUTDOWN_PRIORITY })
export class SchedulesShutdownHook implements OnShutdown {
  constructor(private readonly scheduler: SchedulerService) {}

  onShutdown(): Promise<void> {
    return this.scheduler.drain();
  }
}
