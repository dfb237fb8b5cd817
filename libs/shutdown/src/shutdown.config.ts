import { z } from 'zod';
import { configValue, defineConfigSection } from '@mira/config';
import type { ConfigSectionsInput, ConfigSectionsOutput } from '@mira/config';

const { int } = configValue;

export const shutdownSchema = z
  .strictObject({
    timeout_ms: int(30000, 0),
    hook_timeout_ms: int(10000, 0),
    drain_delay_ms: int(5000, 0),
  })
  .prefault({});

export const shutdownConfig = defineConfigSection({
  key: 'shutdown',
  schema: shutdownSchema,
  owner: 'libs/shutdown',
});

declare module '@mira/config' {
  interface MiraConfig extends ConfigSectionsOutput<typeof shutdownConfig> {}
  interface MiraConfigInput extends ConfigSectionsInput<typeof shutdownConfig> {}
}
