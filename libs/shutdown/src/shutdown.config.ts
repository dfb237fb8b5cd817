import { z } from 'zod';
import { configValue, defineConfigSection } from '@mira/config';
import type { ConfigSectionsInput, ConfigSectionsOutput } from '@mira/config';

const { int } = configValue;

export const shutdownSchema = z
  .strictObject({
    timeout_ms: int(30000, 0),
    hook_timeout_ms: int(10000, 0),
    /**
     * Unset (null): 5000 in Kubernetes (KUBERNETES_SERVICE_HOST set) or with NODE_ENV=production,
     * where endpoint removal needs time to propagate; 0 elsewhere, so Ctrl-C on a laptop is quick.
     */
    drain_delay_ms: z
      .preprocess(
        (v) => (typeof v === 'string' && /^\d+$/.test(v.trim()) ? Number(v) : v === '' ? null : v),
        z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).nullable(),
      )
      .default(null),
  })
  .prefault({});

/** `shutdown.drain_delay_ms` when unset: the production default unless clearly not in a cluster. */
export function defaultDrainDelayMs(env: NodeJS.ProcessEnv): number {
  return env.KUBERNETES_SERVICE_HOST || env.NODE_ENV === 'production' ? 5000 : 0;
}

export const shutdownConfig = defineConfigSection({
  key: 'shutdown',
  schema: shutdownSchema,
  owner: 'libs/shutdown',
});

declare module '@mira/config' {
  interface MiraConfig extends ConfigSectionsOutput<typeof shutdownConfig> {}
  interface MiraConfigInput extends ConfigSectionsInput<typeof shutdownConfig> {}
}
