import { Injectable } from '@nestjs/common';
import { StateMigrations, type ModuleMigration, type StateMigrationSource } from '@mira/state';

// Timestamps and JSON as TEXT (ISO-8601 UTC) so both engines read the same thing.
const TABLES = (json: string) => `
CREATE TABLE projects (
  name TEXT PRIMARY KEY,
  definition ${json} NOT NULL,
  created_by TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE TABLE project_tasks (
  project TEXT NOT NULL,
  source TEXT NOT NULL,
  external_id TEXT NOT NULL,
  title TEXT NOT NULL,
  status TEXT NOT NULL,
  assignee TEXT,
  due TEXT,
  url TEXT,
  updated_at TEXT NOT NULL,
  labels TEXT NOT NULL,
  PRIMARY KEY (project, source, external_id)
);
CREATE INDEX project_tasks_status ON project_tasks (project, status);
CREATE TABLE project_sync_state (
  project TEXT NOT NULL,
  source TEXT NOT NULL,
  cursor TEXT,
  last_sync_at TEXT,
  last_success_at TEXT,
  last_status TEXT,
  last_items INTEGER NOT NULL DEFAULT 0,
  last_error TEXT,
  PRIMARY KEY (project, source)
);
CREATE TABLE project_sync_leases (
  project TEXT PRIMARY KEY,
  holder TEXT,
  lease_until TEXT NOT NULL,
  next_due TEXT NOT NULL
);`;

/** The projects lib's tables in the state store (owner 'projects'). */
@Injectable()
@StateMigrations('projects')
export class ProjectsMigrations implements StateMigrationSource {
  migrations(): readonly ModuleMigration[] {
    return PROJECTS_MIGRATIONS;
  }
}

export const PROJECTS_MIGRATIONS: readonly ModuleMigration[] = [
  {
    version: 1,
    name: 'projects, tasks, sync state and leases',
    sqlite: TABLES('TEXT'),
    postgres: TABLES('TEXT'),
  },
];
