import type { z } from 'zod';
import {
  createProjectSchema,
  projectListSchema,
  projectViewSchema,
  syncResultSchema,
  taskPageSchema,
} from '@mira/projects';
import type { JsonSchema } from './openapi.json-schema';
import { operationsOf } from './openapi.operation-builder';

/** Component schemas of the projects API (toSchema is the document's zod -> OpenAPI converter). */
export function projectSchemas(
  toSchema: (s: z.ZodType, io?: 'input' | 'output') => JsonSchema,
): Record<string, JsonSchema> {
  return {
    ProjectList: toSchema(projectListSchema),
    ProjectView: toSchema(projectViewSchema),
    TaskPage: toSchema(taskPageSchema),
    SyncResult: toSchema(syncResultSchema),
  };
}

/** The projects routes, in the document's operation format. */
export function projectOperations(toSchema: (s: z.ZodType, io?: 'input' | 'output') => JsonSchema) {
  const projects = operationsOf('projects');
  return {
    'get /api/v1/projects': projects(
      'Projects declared in config and through the API',
      200,
      ['The projects', 'ProjectList'],
      [401, 403, 429, 503],
    ),
    'post /api/v1/projects': projects(
      'Declare a project (admin): its sources (github, jira, trello, ...) and status map',
      201,
      ['The project', 'ProjectView'],
      [400, 401, 403, 409, 413, 415, 429, 503],
      {
        schema: toSchema(createProjectSchema, 'input'),
        examples: {
          apollo: {
            summary: 'A GitHub repository and a Trello board',
            value: {
              name: 'apollo',
              sources: [
                { github: { repo: 'acme/apollo' } },
                { trello: { board: '5f1c0aBcDeF12', lists_done: ['Shipped'] } },
              ],
              status_map: { 'needs review': 'in_progress' },
              sync_interval_seconds: 900,
            },
          },
        },
      },
    ),
    'get /api/v1/projects/{name}': projects(
      'Sources with their last sync (time, items, error, stale) and task counts by status',
      200,
      ['The project', 'ProjectView'],
      [401, 403, 404, 429, 503],
    ),
    'get /api/v1/projects/{name}/tasks': projects(
      'The tasks, paged (limit, offset; filters status, source)',
      200,
      ['A page of tasks', 'TaskPage'],
      [400, 401, 403, 404, 429, 503],
    ),
    'post /api/v1/projects/{name}/sync': projects(
      "Sync every source now; a failing tracker shows in its source's result, not as a 5xx",
      200,
      ['What each source did', 'SyncResult'],
      [401, 403, 404, 429, 503],
    ),
  };
}
