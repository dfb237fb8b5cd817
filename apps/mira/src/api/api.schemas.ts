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

/** `{ type, data }` for POST /api/v1/events: like a message, minus the reserved types. */
export const eventBodySchema = messageBodySchema.extend({
  type: messageBodySchema.shape.type.refine((t) => !RESERVED_EVENT_PREFIXES.some((p) => t.startsWith(p)), {
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
