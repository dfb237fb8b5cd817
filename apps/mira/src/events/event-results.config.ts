import { z } from 'zod';
import { configValue, defineConfigSection } from '@mira/config';
import type { ConfigSectionsInput, ConfigSectionsOutput } from '@mira/config';

const { int } = configValue;

export const eventsSchema = z
  .strictObject({
    // How long GET /api/v1/events/:id can see an event's status and answer.
    result_ttl_seconds: int(3600, 1, 30 * 86400),
    // Memory broker only: the most results kept (oldest dropped first).
    max_results: int(10_000, 1),
  })
  .prefault({});

export const eventsConfig = defineConfigSection({
  key: 'events',
  schema: eventsSchema,
  reload: { result_ttl_seconds: 'EventResultsService (next write)' },
  owner: 'apps/mira',
});

declare module '@mira/config' {
  interface MiraConfig extends ConfigSectionsOutput<typeof eventsConfig> {}
  interface MiraConfigInput extends ConfigSectionsInput<typeof eventsConfig> {}
}
