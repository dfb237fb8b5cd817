export type SchedulesErrorCode =
  | 'SCHEDULE_INVALID_CRON'
  | 'SCHEDULE_INVALID_TIMEZONE'
  | 'SCHEDULE_NOT_FOUND'
  | 'SCHEDULE_READ_ONLY'
  | 'SCHEDULE_NAME_TAKEN'
  | 'SCHEDULE_FORBIDDEN'
  | 'SCHEDULE_UNKNOWN_DESTINATION'
  | 'SCHEDULE_NO_OWNER'
  | 'SCHEDULE_TOO_FREQUENT'
  | 'SCHEDULE_LIMIT';

/** A schedule problem; the message names the schedule or field and how to fix it. */
export class SchedulesError extends Error {
  constructor(
    readonly code: SchedulesErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'SchedulesError';
  }
}
