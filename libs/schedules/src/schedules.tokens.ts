/** The ScheduleTargetRunner the scheduler executes runs with (provided by SchedulesModule.forRoot). */
export const SCHEDULE_TARGET_RUNNER = Symbol('SCHEDULE_TARGET_RUNNER');
/** Writes a finished run's deliveries in its transaction: (tx, destinations, request) => ids. */
export const SCHEDULE_DELIVERY_SINK = Symbol('SCHEDULE_DELIVERY_SINK');
