import { Injectable } from '@nestjs/common';
import { StateMigrations, type ModuleMigration, type StateMigrationSource } from '@mira/state';

// Timestamps are ISO-8601 UTC text (same width), so text comparison orders them on both engines.
const TABLES = `
CREATE TABLE schedules (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  cron TEXT NOT NULL,
  timezone TEXT NOT NULL,
  target TEXT NOT NULL,
  deliveries TEXT NOT NULL,
  overlap TEXT NOT NULL,
  catch_up TEXT NOT NULL,
  paused INTEGER NOT NULL DEFAULT 0,
  owner TEXT NOT NULL,
  source TEXT NOT NULL,
  since TEXT NOT NULL,
  last_scheduled TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE TABLE schedule_runs (
  id TEXT PRIMARY KEY,
  schedule_id TEXT NOT NULL,
  scheduled_time TEXT NOT NULL,
  trigger TEXT NOT NULL,
  status TEXT NOT NULL,
  claimed_by TEXT,
  lease_until TEXT,
  started_at TEXT NOT NULL,
  finished_at TEXT,
  workflow_id TEXT,
  result TEXT,
  error TEXT,
  deliveries TEXT NOT NULL DEFAULT '[]',
  UNIQUE (schedule_id, scheduled_time)
);
CREATE INDEX schedule_runs_status ON schedule_runs (status, lease_until);
`;

const REQUESTED_BY = `ALTER TABLE schedule_runs ADD COLUMN requested_by TEXT;`;

export const SCHEDULES_MIGRATIONS: readonly ModuleMigration[] = [
  { version: 1, name: 'schedules and runs', sqlite: TABLES, postgres: TABLES },
  // Who asked for a manual run: it runs as them (not as the schedule's owner), recovered or not.
  { version: 2, name: 'run requester', sqlite: REQUESTED_BY, postgres: REQUESTED_BY },
];

/** The schedules and schedule_runs tables, created in the state store when it opens. */
@Injectable()
@StateMigrations('schedules')
export class SchedulesMigrations implements StateMigrationSource {
  migrations(): readonly ModuleMigration[] {
    return SCHEDULES_MIGRATIONS;
  }
}
