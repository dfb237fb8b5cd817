import type { CatchUpPolicy, OverlapPolicy } from './schedule.plan';

export type ScheduleTarget =
  | { workflow_type: string; data: Record<string, unknown>; governance_data?: Record<string, unknown> }
  | { message: { type: string; data: Record<string, unknown> } };

export interface ScheduleInput {
  name: string;
  cron: string;
  timezone: string;
  target: ScheduleTarget;
  deliveries: string[];
  overlap: OverlapPolicy;
  catch_up: CatchUpPolicy;
  paused: boolean;
}

export interface ScheduleRecord extends ScheduleInput {
  id: string;
  owner: string;
  /** `api` (managed through the API) or `config` (schedules.<name>: read-only through the API). */
  source: 'api' | 'config';
  /** Created or last resumed: no run before it is owed. */
  since: string;
  last_scheduled: string | null;
  created_at: string;
  updated_at: string;
}

export type RunStatus = 'running' | 'succeeded' | 'failed' | 'skipped' | 'pending_approval';
export type RunTrigger = 'cron' | 'catch_up' | 'manual';

export interface ScheduleRun {
  id: string;
  schedule_id: string;
  scheduled_time: string;
  trigger: RunTrigger;
  status: RunStatus;
  started_at: string;
  finished_at: string | null;
  workflow_id: string | null;
  result: unknown;
  error: string | null;
  deliveries: string[];
  /** A manual run: who triggered it (the run is requested by them). Null: runs as the owner. */
  requested_by: string | null;
}

export interface RunOutcome {
  status: Exclude<RunStatus, 'running' | 'skipped'>;
  workflow_id?: string | null;
  result?: unknown;
  error?: string | null;
}

/** Executes a run's target (a workflow, or a message to an agent) as run.requested_by, else the schedule's owner. */
export interface ScheduleTargetRunner {
  run(schedule: ScheduleRecord, run: ScheduleRun): Promise<RunOutcome>;
}
