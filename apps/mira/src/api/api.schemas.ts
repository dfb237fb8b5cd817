import { z } from 'zod';

const object = z.record(z.string(), z.unknown());

/** `{ type, data }` for POST /api/v1/messages and /api/v1/events. */
export const messageBodySchema = z.object({
  type: z.string().min(1).max(200),
  data: object,
});
export type MessageBody = z.infer<typeof messageBodySchema>;

/**
 * Event types the service itself publishes. Subscribers trust them (a `webhook.*` event was
 * signature-verified, `agent.response` came from an agent), so clients cannot publish them.
 */
export const RESERVED_EVENT_PREFIXES: readonly string[] = [
  'webhook.',
  'agent.',
  'governance.',
  'dead-letter',
  'mira.',
];

/**
 * Event types become broker key names (a Redis stream per type), so they keep to a charset with
 * no key separator (`:`), no whitespace and no control characters: a client can never name a key
 * the broker owns (webhook dedup, rate limits) or smuggle odd bytes into key names.
 */
export const EVENT_TYPE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** `{ type, data }` for POST /api/v1/events: like a message, minus the reserved types. */
export const eventBodySchema = messageBodySchema.extend({
  type: messageBodySchema.shape.type
    .regex(EVENT_TYPE_PATTERN, {
      message: `must start with a letter or digit and contain only letters, digits, '.', '_' and '-' (e.g. build.finished)`,
    })
    .refine((t) => !RESERVED_EVENT_PREFIXES.some((p) => t.startsWith(p)), {
      message: `is reserved for events the service publishes itself (${RESERVED_EVENT_PREFIXES.join(', ')}...)`,
    }),
});

/** `{ workflow_type, data, governance_data? }` for POST /api/v1/workflows. */
export const workflowBodySchema = z.object({
  workflow_type: z.string().min(1).max(200),
  data: object,
  governance_data: object.nullish(),
});
export type WorkflowBody = z.infer<typeof workflowBodySchema>;
