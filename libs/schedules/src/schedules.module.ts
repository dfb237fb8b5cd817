import { Module } from '@nestjs/common';
import { AgentsModule } from '@mira/agents';
import { ConfigModule } from '@mira/config';
import { DeliveriesModule, DeliveriesService } from '@mira/deliveries';
import { metricsCollector } from '@mira/metrics';
import { StateService } from '@mira/state';
import { AgentsScheduleRunner } from './schedule.target-runner';
import { SchedulerClock } from './schedules.clock';
import { schedulesConfig } from './schedules.config';
import { SchedulesHealthIndicator } from './schedules.health';
import { SchedulesLifecycle } from './schedules.lifecycle';
import { SchedulesMetrics } from './schedules.metrics';
import { SchedulesMigrations } from './schedules.migrations';
import { SchedulesService } from './schedules.service';
import { SchedulesShutdownHook } from './schedules.shutdown';
import { SCHEDULES_SQL, SchedulerService, type DeliverySink } from './scheduler.service';
import { SCHEDULE_DELIVERY_SINK, SCHEDULE_TARGET_RUNNER } from './schedules.tokens';

/** Durable schedules in the state store, claimed once across replicas; results go out through deliveries. */
@Module({
  imports: [ConfigModule.forFeature(schedulesConfig), AgentsModule, DeliveriesModule],
  providers: [
    SchedulesMigrations,
    SchedulerClock,
    {
      provide: SCHEDULES_SQL,
      inject: [StateService],
      useFactory: (state: StateService) => () => state.sql(),
    },
    { provide: SCHEDULE_TARGET_RUNNER, useClass: AgentsScheduleRunner },
    {
      provide: SCHEDULE_DELIVERY_SINK,
      inject: [DeliveriesService],
      useFactory:
        (deliveries: DeliveriesService): DeliverySink =>
        (tx, destinations, request) =>
          deliveries.enqueue(tx, destinations, request),
    },
    metricsCollector(SchedulesMetrics),
    SchedulerService,
    SchedulesService,
    SchedulesLifecycle,
    SchedulesHealthIndicator,
    SchedulesShutdownHook,
  ],
  exports: [SchedulesService, SchedulerService],
})
export class SchedulesModule {}
