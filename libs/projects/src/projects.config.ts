import { z } from 'zod';
import { configValue, defineConfigSection } from '@mira/config';
import type { ConfigSectionsInput, ConfigSectionsOutput } from '@mira/config';
import { TASK_STATUSES } from './task.interface';

const { int } = configValue;

export const PROJECT_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;

/** `{ github: { repo } }`: one key, the connector kind; its settings are checked by that connector. */
export const projectSourceSchema = z
  .record(z.string(), z.record(z.string(), z.unknown()))
  .refine(
    (s) => Object.keys(s).length === 1,
    'a source is one object with one key: github, jira, trello, ...',
  );

export const statusMapSchema = z.record(z.string(), z.enum(TASK_STATUSES)).default({});

export const projectSchema = z.strictObject({
  sources: z.array(projectSourceSchema).min(1).max(20),
  // Tracker state (label, status name, list name; any letter case) -> normalised status.
  status_map: statusMapSchema,
  // 0: no periodic sync (webhooks and POST .../sync only).
  sync_interval_seconds: int(0, 0, 7 * 86400),
  // A source not synced for this long is flagged stale in reports.
  stale_after_seconds: int(86400, 60),
});

export const projectsSchema = z
  .record(
    z.string().regex(PROJECT_NAME, 'a project name is lower-case letters, digits, - and _'),
    projectSchema,
  )
  .default({});

export const projectsConfig = defineConfigSection({
  key: 'projects',
  schema: projectsSchema,
  reload: {
    '*.*': 'ProjectsService (read per sync and per request)',
    '*.*.*': 'ProjectsService (read per sync and per request)',
  },
  recordKeys: { '': '<project>' },
  owner: 'libs/projects',
});

declare module '@mira/config' {
  interface MiraConfig extends ConfigSectionsOutput<typeof projectsConfig> {}
  interface MiraConfigInput extends ConfigSectionsInput<typeof projectsConfig> {}
}
