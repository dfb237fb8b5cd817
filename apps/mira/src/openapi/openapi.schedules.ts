import { z } from 'zod';
import { scheduleBodySchema } from '../api/schedules.controller';
import { type JsonSchema } from './openapi.json-schema';
import { operationsOf } from './openapi.operation-builder';
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

const THE_SCHEDULE: [string, string] = ['The schedule', 'Schedule'];

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
  const schedules = operationsOf('schedules');
  const deliveries = operationsOf('deliveries');
  const one = (summary: string) => schedules(summary, 200, THE_SCHEDULE, [401, 403, 404, 409, 429, 503]);
  return {
    'post /api/v1/schedules': schedules(
      'Create a schedule (submitter: its runs are requested by you; admin manages all): cron with time zone, target, deliveries',
      201,
      THE_SCHEDULE,
      [400, 401, 403, 409, 413, 415, 429, 503],
      { schema, examples: { weekly } },
    ),
    'get /api/v1/schedules': schedules(
      'Every schedule (config-declared ones included)',
      200,
      ['The schedules', 'ScheduleList'],
      [401, 403, 429, 503],
    ),
    'get /api/v1/schedules/{id}': schedules(
      'A schedule (by id or name) with its next 5 fire times and its last runs',
      200,
      ['The schedule', 'ScheduleView'],
      [401, 403, 404, 429, 503],
    ),
    'get /api/v1/schedules/{id}/runs': schedules(
      'Runs of a schedule, newest first (limit)',
      200,
      ['The runs', 'ScheduleRunList'],
      [400, 401, 403, 404, 429, 503],
    ),
    'patch /api/v1/schedules/{id}': schedules(
      'Replace the definition (owner or admin; config-declared schedules are read-only: 409)',
      200,
      THE_SCHEDULE,
      [400, 401, 403, 404, 409, 413, 415, 429, 503],
      { schema, examples: { renamed } },
    ),
    'delete /api/v1/schedules/{id}': schedules(
      'Delete a schedule and its runs (owner or admin)',
      204,
      ['Deleted', null],
      [401, 403, 404, 409, 429, 503],
    ),
    'post /api/v1/schedules/{id}/pause': one('Pause: no run fires until resumed'),
    'post /api/v1/schedules/{id}/resume': one('Resume: nothing is owed for the paused time'),
    'post /api/v1/schedules/{id}/trigger': schedules(
      'Run now: a manual run, subject to the overlap policy',
      202,
      ['The run as claimed', 'ScheduleRun'],
      [401, 403, 404, 409, 429, 503],
    ),
    'get /api/v1/deliveries': deliveries(
      'Deliveries (outbox rows), newest first; filter by status (auditor)',
      200,
      ['The deliveries', 'DeliveryList'],
      [400, 401, 403, 429, 503],
    ),
    'post /api/v1/deliveries/{id}/retry': deliveries(
      'Send a dead delivery again, with the same webhook-id (admin)',
      202,
      ['The delivery, pending again', 'Delivery'],
      [401, 403, 404, 409, 429, 503],
    ),
    'get /api/v1/events/{id}': operationsOf('events')(
      "An event's status (queued, processing, answered, failed, dead_lettered) and the agent's envelope once answered",
      200,
      ['The event', 'EventResult'],
      [401, 403, 404, 429, 503],
    ),
  };
}
