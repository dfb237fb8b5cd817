import { z } from 'zod';
import { configValue, defineConfigSection } from '@mira/config';
import type { ConfigSectionsInput, ConfigSectionsOutput } from '@mira/config';

const { bool, int } = configValue;

export const scheduleTargetSchema = z.union([
  z.strictObject({
    workflow_type: z.string().min(1),
    data: z.record(z.string(), z.unknown()).default({}),
    governance_data: z.record(z.string(), z.unknown()).optional(),
  }),
  z.strictObject({
    message: z.strictObject({ type: z.string().min(1), data: z.record(z.string(), z.unknown()).default({}) }),
  }),
]);

/** One schedule, as the API takes it and as `schedules.<name>` declares it in the config file. */
export const scheduleDefinitionSchema = z.strictObject({
  // 5 fields, or 6 with seconds first.
  cron: z.string().min(1),
  // An IANA zone; DST handled (a skipped local time runs once, a repeated one once).
  timezone: z.string().min(1).default('UTC'),
  target: scheduleTargetSchema,
  // deliveries.destinations.<name> to send each run's result to.
  deliveries: z.array(z.string().min(1)).default([]),
  overlap: z.enum(['skip', 'allow']).default('skip'),
  catch_up: z.enum(['none', 'latest', 'all']).default('latest'),
  paused: bool(false),
  // Who requests the runs (their approvals follow separation of duties); config schedules default to `config`.
  owner: z.string().min(1).default('config'),
});

const SETTINGS = {
  // Off: this replica claims no runs (others still do).
  enabled: bool(true),
  // How often each replica looks for due runs.
  tick_ms: int(1000, 50, 60_000),
  // How many missed runs `catch_up: all` runs after downtime (latest runs one).
  max_catch_up: int(10, 0, 1000),
  // A run not finished (heartbeat) within this long after its replica died is recovered by another.
  lease_ms: int(60_000, 1000),
  // A fire time this late still counts as on time (not a catch-up).
  grace_ms: int(30_000, 0),
  // How long a workflow run may take before the run is marked timed_out.
  run_timeout_ms: int(3_600_000, 1000),
  // The shortest gap between two fires a schedule may have (API and config-declared); lower it for tests or demos.
  min_interval_seconds: int(60, 1),
  // How many API schedules one owner may have.
  max_per_owner: int(50, 1),
  // Finished runs older than this are deleted (by every replica's scheduler, a bounded batch at a time).
  runs_retention_days: int(30, 1),
};

/** Reserved keys: the settings above; every other key of `schedules` is a config-declared schedule. */
export const SCHEDULES_SETTING_KEYS = [...Object.keys(SETTINGS), 'definitions'];

// `schedules.<name>: {...}` in the file is read as `schedules.definitions.<name>`, so the settings
// stay a strict object (an unknown setting is still an error: it is read as a malformed schedule).
function gatherDefinitions(input: unknown): unknown {
  if (!input || typeof input !== 'object' || Array.isArray(input)) return input;
  const out: Record<string, unknown> = {};
  const definitions: Record<string, unknown> = { ...((input as { definitions?: object }).definitions ?? {}) };
  for (const [key, value] of Object.entries(input)) {
    if (key === 'definitions') continue;
    if (SCHEDULES_SETTING_KEYS.includes(key)) out[key] = value;
    else definitions[key] = value;
  }
  return { ...out, definitions };
}

export const schedulesSchema = z
  .preprocess(
    gatherDefinitions,
    z.strictObject({
      ...SETTINGS,
      // Config-declared schedules (read-only through the API); written as `schedules.<name>` or here.
      definitions: z.record(z.string().regex(/^[a-z0-9][a-z0-9_-]*$/), scheduleDefinitionSchema).default({}),
    }),
  )
  .prefault({});

export type SchedulesSettings = z.output<typeof schedulesSchema>;
export type ScheduleDefinition = z.output<typeof scheduleDefinitionSchema>;

/** The config-declared schedules of a `schedules` section value, by name. */
export function configSchedulesOf(section: SchedulesSettings): Record<string, ScheduleDefinition> {
  return section.definitions;
}

export const schedulesConfig = defineConfigSection({
  key: 'schedules',
  schema: schedulesSchema,
  reload: {
    tick_ms: 'SchedulerService (next tick)',
    max_catch_up: 'SchedulerService (next tick)',
    grace_ms: 'SchedulerService (next tick)',
    min_interval_seconds: 'SchedulesService (next create or update)',
    max_per_owner: 'SchedulesService (next create)',
    runs_retention_days: 'SchedulerService (next prune)',
    // Any depth: a schedule's cron, target data, deliveries... all reconcile live.
    'definitions.**': 'SchedulesReconciler (config-declared schedules, on reload)',
  },
  recordKeys: { definitions: '<name>' },
  owner: 'libs/schedules',
});

declare module '@mira/config' {
  interface MiraConfig extends ConfigSectionsOutput<typeof schedulesConfig> {}
  interface MiraConfigInput extends ConfigSectionsInput<typeof schedulesConfig> {}
}
