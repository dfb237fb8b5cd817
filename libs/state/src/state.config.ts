import { z } from 'zod';
import { ConfigError, configValue, defineConfigSection } from '@mira/config';
import type { ConfigSectionsInput, ConfigSectionsOutput } from '@mira/config';

const { int } = configValue;

export const stateSchema = z
  .strictObject({
    // A string, not an enum: a module may contribute another backend (@StateBackendProvider).
    backend: z.string().min(1).default('sqlite'),
    sqlite: z
      .strictObject({
        // Relative to the working directory (/app in the image, where /app/data is writable); `:memory:` for tests.
        path: z.string().min(1).default('data/mira.db'),
      })
      .prefault({}),
    postgres: z
      .strictObject({
        // May be a secret:// reference (resolved before the store connects); never logged.
        url: z.string().min(1).nullable().default(null),
        pool_max: int(10, 1, 1000),
        statement_timeout_ms: int(5000, 100),
        connect_timeout_ms: int(5000, 100),
      })
      .prefault({}),
  })
  .prefault({});

export const stateConfig = defineConfigSection({
  key: 'state',
  schema: stateSchema,
  // Replicas share work over Redis, so a decision stored in one replica's own sqlite file would be
  // invisible to the replica that picks up the workflow: refuse instead of losing approvals.
  check: (config) => {
    if (config.broker?.transport === 'redis' && config.state?.backend === 'sqlite')
      throw new ConfigError(
        'CONFIG_INVALID',
        'Invalid configuration: state.backend is sqlite while broker.transport is redis: approvals stored on one replica ' +
          'would be invisible to the others; set state.backend: postgres (MIRA_STATE__BACKEND=postgres) and state.postgres.url',
        'state.backend',
      );
  },
  owner: 'libs/state',
});

declare module '@mira/config' {
  interface MiraConfig extends ConfigSectionsOutput<typeof stateConfig> {}
  interface MiraConfigInput extends ConfigSectionsInput<typeof stateConfig> {}
}
