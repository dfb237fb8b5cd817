import { z } from 'zod';
import { configValue, defineConfigSection } from '@mira/config';
import type { ConfigSectionsInput, ConfigSectionsOutput } from '@mira/config';

const { bool } = configValue;

/** Feature flags by name, off unless set. */
export const featuresSchema = z.record(z.string(), bool(false)).default({});

export const featuresConfig = defineConfigSection({
  key: 'features',
  schema: featuresSchema,
  reload: { '*': 'FeatureFlagsService (read on every check)' },
  recordKeys: { '': '<feature>' },
  owner: 'libs/features',
});

declare module '@mira/config' {
  interface MiraConfig extends ConfigSectionsOutput<typeof featuresConfig> {}
  interface MiraConfigInput extends ConfigSectionsInput<typeof featuresConfig> {}
}
