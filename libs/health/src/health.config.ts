import { z } from 'zod';
import { configValue, defineConfigSection } from '@mira/config';
import type { ConfigSectionsInput, ConfigSectionsOutput } from '@mira/config';

const { bool, int } = configValue;

export const healthSchema = z
  .strictObject({
    event_loop_max_lag_ms: int(1000, 1),
    cache_ttl_ms: int(1000, 0),
    // Probes answered on the Node server before the framework (no access log, no HTTP metrics).
    fast_path: bool(true),
  })
  .prefault({});

export const healthConfig = defineConfigSection({
  key: 'health',
  schema: healthSchema,
  owner: 'libs/health',
});

declare module '@mira/config' {
  interface MiraConfig extends ConfigSectionsOutput<typeof healthConfig> {}
  interface MiraConfigInput extends ConfigSectionsInput<typeof healthConfig> {}
}
