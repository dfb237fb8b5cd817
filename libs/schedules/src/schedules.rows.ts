import type { RunTrigger, ScheduleRecord, ScheduleRun } from './schedules.interface';

/** A row as the driver returns it (both dialects: TEXT JSON and ISO times). */
export type Raw = Record<string, unknown>;

/** Row -> record mapping of the schedules tables, shared by the store's reads. */
export function toSchedule(r: Raw): ScheduleRecord {
  return {
    id: String(r.id),
    name: String(r.name),
    cron: String(r.cron),
    timezone: String(r.timezone),
    target: JSON.parse(String(r.target)) as ScheduleRecord['target'],
    deliveries: JSON.parse(String(r.deliveries)) as string[],
    overlap: r.overlap as ScheduleRecord['overlap'],
    catch_up: r.catch_up as ScheduleRecord['catch_up'],
    paused: Number(r.paused) === 1,
    owner: String(r.owner),
    source: r.source as ScheduleRecord['source'],
    since: String(r.since),
    last_scheduled: (r.last_scheduled as string | null) ?? null,
    created_at: String(r.created_at),
    updated_at: String(r.updated_at),
  };
}

export function toRun(r: Raw): ScheduleRun {
  return {
    id: String(r.id),
    schedule_id: String(r.schedule_id),
    scheduled_time: String(r.scheduled_time),
    trigger: r.trigger as RunTrigger,
    status: r.status as ScheduleRun['status'],
    started_at: String(r.started_at),
    finished_at: (r.finished_at as string | null) ?? null,
    workflow_id: (r.workflow_id as string | null) ?? null,
    result: r.result ? (JSON.parse(String(r.result)) as unknown) : null,
    error: (r.error as string | null) ?? null,
    deliveries: JSON.parse(String(r.deliveries ?? '[]')) as string[],
    requested_by: (r.requested_by as string | null) ?? null,
  };
}

/** Schedules and their runs in the state store (SQL on both backends). */
