import { z } from 'zod';
import { TASK_STATUSES } from './task.interface';

/** Answers of the projects API, for the OpenAPI document. */
const counts = z.object(
  Object.fromEntries(TASK_STATUSES.map((s) => [s, z.number().int()])) as Record<
    (typeof TASK_STATUSES)[number],
    z.ZodNumber
  >,
);

export const taskSchema = z.object({
  source: z.string(),
  external_id: z.string(),
  title: z.string(),
  status: z.enum(TASK_STATUSES),
  assignee: z.string().nullable(),
  due: z.string().nullable(),
  url: z.string().nullable(),
  updated_at: z.string(),
  labels: z.array(z.string()),
});

export const projectViewSchema = z.object({
  name: z.string(),
  origin: z.enum(['config', 'api']),
  sync_interval_seconds: z.number().int(),
  stale_after_seconds: z.number().int(),
  status_map: z.record(z.string(), z.enum(TASK_STATUSES)),
  sources: z.array(
    z.object({
      source: z.string(),
      kind: z.string(),
      settings: z.record(z.string(), z.unknown()),
      last_sync: z.object({
        at: z.string().nullable(),
        status: z.string().nullable().describe('success | error | null (never synced)'),
        items: z.number().int(),
        error: z.string().nullable(),
        last_success_at: z.string().nullable(),
      }),
      stale: z.boolean(),
    }),
  ),
  counts,
  total_tasks: z.number().int(),
});

export const projectListSchema = z.object({
  projects: z.array(
    z.object({ name: z.string(), origin: z.enum(['config', 'api']), sources: z.number().int() }),
  ),
});

export const taskPageSchema = z.object({
  project: z.string(),
  total: z.number().int(),
  limit: z.number().int(),
  offset: z.number().int(),
  tasks: z.array(taskSchema),
});

export const syncResultSchema = z.object({
  project: z.string(),
  sources: z.array(
    z.object({
      source: z.string(),
      status: z.enum(['success', 'error']),
      items: z.number().int(),
      deleted: z.number().int(),
      not_modified: z.number().int(),
      rate_limit_waits: z.number().int(),
      error: z.string().nullable(),
    }),
  ),
});
