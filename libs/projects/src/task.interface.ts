export const TASK_STATUSES = ['not_started', 'in_progress', 'completed', 'blocked'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

/** A tracker item normalised: the same shape whatever the source (wire names are snake_case). */
export interface NormalisedTask {
  /** Source id within the project, e.g. `github:acme/api`, `jira`, `trello:<board>`. */
  source: string;
  external_id: string;
  title: string;
  status: TaskStatus;
  assignee: string | null;
  due: string | null;
  url: string | null;
  updated_at: string;
  labels: string[];
}

/** Per project: tracker state (lower-cased) -> normalised status, checked before the connector's defaults. */
export type StatusMap = Readonly<Record<string, TaskStatus>>;
