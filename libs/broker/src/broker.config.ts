import { z } from 'zod';
import { configValue, defineConfigSection } from '@mira/config';
import type { ConfigSectionsInput, ConfigSectionsOutput } from '@mira/config';

const { int } = configValue;

const NAMES = Symbol.for('mira.broker.transport-names');

/**
 * Transport names `broker.transport` accepts: the shipped ones, plus every @BrokerTransport(name)
 * evaluated so far (the decorator adds its name when the plugin's file is required, before the
 * config is validated). Kept on globalThis so every copy of this lib in the process shares it.
 */
export function brokerTransportNames(): Set<string> {
  const g = globalThis as { [NAMES]?: Set<string> };
  return (g[NAMES] ??= new Set(['memory', 'redis']));
}

export const brokerSchema = z
  .strictObject({
    // Any @BrokerTransport(name) provider; an unknown name stops the start listing the known ones.
    transport: z
      .string()
      .min(1)
      .default('memory')
      .superRefine((name, ctx) => {
        const known = brokerTransportNames();
        if (!known.has(name))
          ctx.addIssue({
            code: 'custom',
            message: `no transport named "${name}" (known: ${[...known].join(', ')}); import the module that declares it with @BrokerTransport or fix the value`,
          });
      })
      .describe('a transport name: memory, redis, or one a module adds with @BrokerTransport(name)'),
    queue_size: int(1000, 1),
    max_attempts: int(5, 1),
    redis: z
      .strictObject({
        url: z.string().default('redis://127.0.0.1:6379'),
        stream_prefix: z.string().default('mira:'),
        visibility_timeout_ms: int(30000, 100),
        maxlen: int(100000, 1),
        block_ms: int(1000, 1),
        batch_size: int(32, 1),
        // Handlers running at once per subscription; reads pause beyond it (back-pressure stays in Redis).
        max_in_flight: int(256, 1),
        command_timeout_ms: int(5000, 100),
        reconnect_max_delay_ms: int(5000, 50),
        retry_base_ms: int(200, 0),
        retry_max_ms: int(30000, 0),
        // Lag / pending counts over these report degraded or unhealthy (0 disables a threshold).
        health: z
          .strictObject({
            lag_degraded: int(1000, 0),
            lag_unhealthy: int(0, 0),
            pending_degraded: int(1000, 0),
            pending_unhealthy: int(0, 0),
          })
          .prefault({}),
      })
      .prefault({}),
  })
  .prefault({});

export const brokerConfig = defineConfigSection({
  key: 'broker',
  schema: brokerSchema,
  reload: { queue_size: 'BrokerService.reconfigure' },
  owner: 'libs/broker',
});

declare module '@mira/config' {
  interface MiraConfig extends ConfigSectionsOutput<typeof brokerConfig> {}
  interface MiraConfigInput extends ConfigSectionsInput<typeof brokerConfig> {}
}
