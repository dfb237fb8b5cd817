import { z } from 'zod';
import { governanceDataSchema, WORKFLOW_STATUSES } from '@mira/agents';

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
  'workflow.',
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
  // A deliveries.destinations.<name> that receives the agent's answer.
  reply_to: z.string().min(1).max(100).optional(),
});

/**
 * `{ workflow_type, data, governance_data? }` for POST /api/v1/workflows. governance_data is
 * validated here: a wrong type is a 400 naming the field, never read as "low risk".
 */
export const workflowBodySchema = z.object({
  workflow_type: z.string().min(1).max(200),
  data: object,
  governance_data: governanceDataSchema.nullish(),
});
export type WorkflowBody = z.infer<typeof workflowBodySchema>;

const limit = z.coerce.number().int().min(1).max(100).default(20);
const cursor = z.string().max(512).optional();

/** `?status=&type=&limit=&cursor=` for GET /api/v1/workflows. */
export const workflowListQuerySchema = z.object({
  status: z.enum(WORKFLOW_STATUSES as [string, ...string[]]).optional(),
  type: z.string().min(1).max(200).optional(),
  limit,
  cursor,
});
export type WorkflowListQuery = z.infer<typeof workflowListQuerySchema>;

/** `{ comment?, data_patch? }` for POST /api/v1/workflows/:id/approve. */
export const approveBodySchema = z
  .object({
    comment: z.string().max(4000).nullish(),
    // A JSON merge patch (RFC 7386) applied to the workflow's data before its steps run.
    data_patch: object.nullish(),
  })
  .prefault({});
export type ApproveBody = z.infer<typeof approveBodySchema>;

/** `{ comment }` for POST /api/v1/workflows/:id/reject: a rejection says why. */
export const rejectBodySchema = z.object({
  comment: z
    .string({ error: 'a rejection must carry a comment saying why' })
    .trim()
    .min(1, 'a rejection must carry a comment saying why')
    .max(4000),
});
export type RejectBody = z.infer<typeof rejectBodySchema>;

/** `{ comment? }` for POST /api/v1/workflows/:id/cancel. */
export const cancelBodySchema = z.object({ comment: z.string().max(4000).nullish() }).prefault({});
export type CancelBody = z.infer<typeof cancelBodySchema>;

/** `?workflow_id=&limit=&cursor=` for GET /api/v1/audit. */
export const auditQuerySchema = z.object({
  workflow_id: z.string().min(1).max(128).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  cursor,
});
export type AuditQuery = z.infer<typeof auditQuerySchema>;

/** Idempotency-Key: a client-chosen token, printable and short. */
export const idempotencyKeySchema = z
  .string()
  .regex(/^[\x21-\x7e]{1,200}$/, 'Idempotency-Key must be 1-200 printable ASCII characters')
  .optional();
