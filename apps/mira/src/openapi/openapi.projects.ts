import type { z } from 'zod';
import {
  createProjectSchema,
  projectListSchema,
  projectViewSchema,
  syncResultSchema,
  taskPageSchema,
} from '@mira/projects';

type JsonSchema = Record<string, unknown>;
const ref = (name: string): JsonSchema => ({ $ref: `#/components/schemas/${name}` });

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
  return {
    'get /api/v1/projects': {
      summary: 'Projects declared in config and through the API',
      tag: 'projects',
      success: { 200: { description: 'The projects', schema: ref('ProjectList') } },
      errors: [401, 403, 429, 503],
    },
    'post /api/v1/projects': {
      summary: 'Declare a project (admin): its sources (github, jira, trello, ...) and status map',
      tag: 'projects',
      body: {
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
      success: { 201: { description: 'The project', schema: ref('ProjectView') } },
      errors: [400, 401, 403, 409, 413, 415, 429, 503],
    },
    'get /api/v1/projects/{name}': {
      summary: 'Sources with their last sync (time, items, error, stale) and task counts by status',
      tag: 'projects',
      success: { 200: { description: 'The project', schema: ref('ProjectView') } },
      errors: [401, 403, 404, 429, 503],
    },
    'get /api/v1/projects/{name}/tasks': {
      summary: 'The tasks, paged (limit, offset; filters status, source)',
      tag: 'projects',
      success: { 200: { description: 'A page of tasks', schema: ref('TaskPage') } },
      errors: [400, 401, 403, 404, 429, 503],
    },
    'post /api/v1/projects/{name}/sync': {
      summary: "Sync every source now; a failing tracker shows in its source's result, not as a 5xx",
      tag: 'projects',
      success: { 200: { description: 'What each source did', schema: ref('SyncResult') } },
      errors: [401, 403, 404, 429, 503],
    },
  };
}
