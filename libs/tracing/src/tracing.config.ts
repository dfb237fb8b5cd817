import { z } from 'zod';
import { configValue, defineConfigSection } from '@mira/config';
import type { ConfigSectionsInput, ConfigSectionsOutput } from '@mira/config';

const { bool, int, num } = configValue;

export const TRACING_PROTOCOLS = ['http/protobuf', 'http/json'] as const;

// Mirrors the standard OTEL_* variables, which win over these keys (read once at start, before
// the application loads; a change needs a restart). Off unless an endpoint is set.
export const tracingSchema = z
  .strictObject({
    enabled: bool(true),
    // OTLP/HTTP base URL (e.g. http://otel-collector:4318); null keeps tracing off.
    endpoint: z.string().url().nullable().default(null),
    protocol: z.enum(TRACING_PROTOCOLS).default('http/protobuf'),
    service_name: z.string().min(1).default('mira'),
    // Fraction of new traces recorded (parent-based: an incoming sampled traceparent is kept).
    sample_ratio: num(1, 0, 1),
    // Extra resource attributes, e.g. { deployment.environment: prod }.
    resource_attributes: z.record(z.string(), z.string()).default({}),
    // Ended spans waiting for export; beyond it spans are dropped and counted, never block.
    max_queue_size: int(2048, 1, 1_000_000),
    export_timeout_ms: int(10000, 100, 600_000),
  })
  .prefault({});

export const tracingConfig = defineConfigSection({
  key: 'tracing',
  schema: tracingSchema,
  owner: 'libs/tracing',
});

declare module '@mira/config' {
  interface MiraConfig extends ConfigSectionsOutput<typeof tracingConfig> {}
  interface MiraConfigInput extends ConfigSectionsInput<typeof tracingConfig> {}
}
