export { SchedulesModule } from './schedules.module';
export { SchedulesService, type ScheduleView } from './schedules.service';
export { SchedulerService, SCHEDULES_SQL, type DeliverySink } from './scheduler.service';
export { SchedulerClock, ManualClock } from './schedules.clock';
export { SchedulesError, type SchedulesErrorCode } from './schedules.error';
export { SCHEDULES_MIGRATIONS, SchedulesMigrations } from './schedules.migrations';
export { SchedulesStore } from './schedules.store';
export { dueTimes, fireTimesBetween, nextRuns, parseCron, overlapDecision, periodMs } from './schedule.plan';
export {
  schedulesConfig,
  schedulesSchema,
  scheduleDefinitionSchema,
  scheduleTargetSchema,
  type ScheduleDefinition,
  type SchedulesSettings,
} from './schedules.config';
export type {
  ScheduleInput,
  ScheduleRecord,
  ScheduleRun,
  ScheduleTarget,
  RunOutcome,
  RunStatus,
  ScheduleTargetRunner,
} from './schedules.interface';
