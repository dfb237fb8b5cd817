import { z } from 'zod';
import { scheduleBodySchema } from '../api/schedules.controller';
import { ref, type JsonSchema } from './openapi.json-schema';
import type { OperationDoc } from './openapi.operations';

// Answer schemas of the schedules, deliveries and event status routes: what the controllers
// return (ScheduleRecord, ScheduleRun, DeliveryRow, EventResult), loose so additions stay compatible.
const iso = z.string().describe('ISO-8601 UTC time');
const scheduleSchema = z.looseObject({
  id: z.string(),
  name: z.string(),
  cron: z.string(),
  timezone: z.string(),
  target: z.record(z.string(), z.unknown()),
  deliveries: z.array(z.string()),
  overlap: z.enum(['skip', 'allow']),
  catch_up: z.enum(['none', 'latest', 'all']),
  paused: z.boolean(),
  owner: z.string(),
  source: z.enum(['api', 'config']),
  since: iso,
  last_scheduled: iso.nullable(),
  created_at: iso,
  updated_at: iso,
});
const runSchema = z.looseObject({
  id: z.string(),
  schedule_id: z.string(),
  scheduled_time: iso,
  trigger: z.enum(['cron', 'catch_up', 'manual']),
  status: z.enum(['running', 'succeeded', 'failed', 'skipped', 'pending_approval']),
  started_at: iso,
  finished_at: iso.nullable(),
  workflow_id: z.string().nullable(),
  result: z.unknown(),
  error: z.string().nullable(),
  deliveries: z.array(z.string()),
});
const deliverySchema = z.looseObject({
  id: z.string(),
  destination: z.string(),
  kind: z.string(),
  source: z.string(),
  message: z.looseObject({ id: z.string(), type: z.string(), title: z.string(), occurred_at: iso }),
  status: z.enum(['pending', 'sending', 'delivered', 'dead']),
  attempts: z.number().int(),
  next_attempt_at: iso,
  last_error: z.string().nullable(),
  created_at: iso,
  updated_at: iso,
  delivered_at: iso.nullable(),
});
const eventResultSchema = z.looseObject({
  id: z.string(),
  type: z.string(),
  status: z.enum(['queued', 'processing', 'answered', 'failed', 'dead_lettered']),
  reply_to: z.string().nullable(),
  queued_at: iso,
  updated_at: iso,
  response: z.unknown().describe('The agent envelope once answered or failed; the reason when dead_lettered'),
});

/** Component schemas of these routes (toSchema is the document's zod -> OpenAPI converter). */
export function scheduleSchemas(toSchema: (s: z.ZodType) => JsonSchema): Record<string, JsonSchema> {
  return {
    Schedule: toSchema(scheduleSchema),
    ScheduleView: toSchema(
      scheduleSchema.extend({
        next_runs: z.array(iso),
        last_runs: z.array(runSchema),
        read_only: z.boolean(),
      }),
    ),
    ScheduleList: toSchema(z.object({ schedules: z.array(scheduleSchema) })),
    ScheduleRun: toSchema(runSchema),
    ScheduleRunList: toSchema(z.object({ runs: z.array(runSchema) })),
    Delivery: toSchema(deliverySchema),
    DeliveryList: toSchema(z.object({ deliveries: z.array(deliverySchema) })),
    EventResult: toSchema(eventResultSchema),
  };
}

const weekly = {
  summary: 'A weekly status report on Fridays at 16:00 Berlin time',
  value: {
    name: 'weekly-apollo',
    cron: '0 16 * * 5',
    timezone: 'Europe/Berlin',
    target: { message: { type: 'generate_report', data: { name: 'Apollo', tasks: [] } } },
    deliveries: [],
  },
};

/** The schedules, deliveries and GET /events/{id} routes, in the document's operation format. */
export function scheduleOperations(
  toSchema: (s: z.ZodType, io?: 'input' | 'output') => JsonSchema,
): Record<string, OperationDoc> {
  const schema = toSchema(scheduleBodySchema, 'input');
  const renamed = {
    summary: 'The same report, renamed and moved to Mondays 09:00',
    value: { ...weekly.value, name: 'monday-apollo', cron: '0 9 * * 1' },
  };
  const one = (summary: string, status = 200): OperationDoc => ({
    summary,
    tag: 'schedules',
    success: { [status]: { description: 'The schedule', schema: ref('Schedule') } },
    errors: [401, 403, 404, 409, 429, 503],
  });
  return {
    'post /api/v1/schedules': {
      summary:
        'Create a schedule (submitter: its runs are requested by you; admin manages all): cron with time zone, target, deliveries',
      tag: 'schedules',
      body: { schema, examples: { weekly } },
      success: { 201: { description: 'The schedule', schema: ref('Schedule') } },
      errors: [400, 401, 403, 409, 413, 415, 429, 503],
    },
    'get /api/v1/schedules': {
      summary: 'Every schedule (config-declared ones included)',
      tag: 'schedules',
      success: { 200: { description: 'The schedules', schema: ref('ScheduleList') } },
      errors: [401, 403, 429, 503],
    },
    'get /api/v1/schedules/{id}': {
      summary: 'A schedule (by id or name) with its next 5 fire times and its last runs',
      tag: 'schedules',
      success: { 200: { description: 'The schedule', schema: ref('ScheduleView') } },
      errors: [401, 403, 404, 429, 503],
    },
    'get /api/v1/schedules/{id}/runs': {
      summary: 'Runs of a schedule, newest first (limit)',
      tag: 'schedules',
      success: { 200: { description: 'The runs', schema: ref('ScheduleRunList') } },
      errors: [400, 401, 403, 404, 429, 503],
    },
    'patch /api/v1/schedules/{id}': {
      ...one('Replace the definition (owner or admin; config-declared schedules are read-only: 409)'),
      body: { schema, examples: { renamed } },
      errors: [400, 401, 403, 404, 409, 413, 415, 429, 503],
    },
    'delete /api/v1/schedules/{id}': {
      summary: 'Delete a schedule and its runs (owner or admin)',
      tag: 'schedules',
      success: { 204: { description: 'Deleted', schema: null } },
      errors: [401, 403, 404, 409, 429, 503],
    },
    'post /api/v1/schedules/{id}/pause': one('Pause: no run fires until resumed'),
    'post /api/v1/schedules/{id}/resume': one('Resume: nothing is owed for the paused time'),
    'post /api/v1/schedules/{id}/trigger': {
      summary: 'Run now: a manual run, subject to the overlap policy',
      tag: 'schedules',
      success: { 202: { description: 'The run as claimed', schema: ref('ScheduleRun') } },
      errors: [401, 403, 404, 409, 429, 503],
    },
    'get /api/v1/deliveries': {
      summary: 'Deliveries (outbox rows), newest first; filter by status (auditor)',
      tag: 'deliveries',
      success: { 200: { description: 'The deliveries', schema: ref('DeliveryList') } },
      errors: [400, 401, 403, 429, 503],
    },
    'post /api/v1/deliveries/{id}/retry': {
      summary: 'Send a dead delivery again, with the same webhook-id (admin)',
      tag: 'deliveries',
      success: { 202: { description: 'The delivery, pending again', schema: ref('Delivery') } },
      errors: [401, 403, 404, 409, 429, 503],
    },
    'get /api/v1/events/{id}': {
      summary:
        "An event's status (queued, processing, answered, failed, dead_lettered) and the agent's envelope once answered",
      tag: 'events',
      success: { 200: { description: 'The event', schema: ref('EventResult') } },
      errors: [401, 403, 404, 429, 503],
    },
  };
}
