import { z } from 'zod';
import { WORKFLOW_STATUSES } from '@mira/agents';

/**
 * Response bodies as zod schemas, exported to JSON Schema for the document. They mirror the
 * TypeScript types the controllers return (WorkflowView, AuditEntry, ...); the contract test
 * checks real answers against them, so a drift fails a test rather than a client.
 */
const isoTime = z.string().describe('ISO-8601 UTC timestamp with milliseconds');
const anyObject = z.record(z.string(), z.unknown());

export const apiErrorSchema = z
  .object({
    statusCode: z.number().int(),
    error: z.string(),
    message: z.union([z.string(), z.array(z.string())]),
    code: z
      .string()
      .optional()
      .describe('A stable machine-readable code, e.g. BROKER_QUEUE_FULL, WORKFLOW_CONFLICT'),
    status: z.string().optional().describe('For a conflict on a workflow: the status it is in now'),
  })
  .describe('The error body of every non-agent failure');

export const agentEnvelopeSchema = z
  .object({
    agent_id: z.string(),
    timestamp: isoTime,
    status: z.enum(['success', 'error', 'pending']),
    data: z.unknown().nullable(),
    error: z.string().nullable(),
  })
  .describe("An agent's answer; on failure status is error, data null and error says why");

/** The success envelope around one agent's output schema. */
export function successEnvelope(data: z.ZodType): z.ZodType {
  return z.object({
    agent_id: z.string(),
    timestamp: isoTime,
    status: z.literal('success'),
    data,
    error: z.null(),
  });
}

const decisionSchema = z.object({
  actor: z.string().describe('Stable id: key:<name>, oidc:<issuer-host>:<sub> or system'),
  actor_name: z.string().optional().describe('Display name'),
  decision: z.enum(['approve', 'reject']),
  comment: z.string().nullable(),
  data_patch: anyObject.nullable().optional(),
  data_hash: z.string().optional().describe('data_hash of the data this decision approved'),
  dismissed: z.boolean().optional().describe('An approval of data a later data_patch changed'),
  at: isoTime,
});

const policySchema = z
  .object({
    name: z.string(),
    when_unassessed: z.enum(['hold', 'run']),
    minimum_risk: z.enum(['low', 'medium', 'high']),
    approvals_required: z.object({ low: z.number().int(), medium: z.number().int(), high: z.number().int() }),
  })
  .describe('The review policy that applied (governance.policies.<type> or default)');

const stepSchema = z.object({
  step: z.string().describe('The message type the step ran'),
  status: z.enum(['success', 'error', 'pending']),
  result: z.unknown().describe("The step agent's envelope"),
});

export const workflowViewSchema = z
  .object({
    workflow_id: z.string(),
    workflow_type: z.string(),
    status: z.enum(WORKFLOW_STATUSES as [string, ...string[]]),
    requested_by: z.string().describe("The requester's stable id"),
    requested_by_name: z.string().describe("The requester's display name"),
    title: z.string().nullable().describe("What the workflow is about, from its type's title(data)"),
    summary: z
      .array(
        z.object({
          label: z.string(),
          value: z.union([z.string(), z.number(), z.boolean()]),
          unit: z.string().optional().describe('An ISO 4217 currency code or a unit word'),
        }),
      )
      .nullable()
      .describe('A few labelled fields a reviewer reads first'),
    created_at: isoTime,
    updated_at: isoTime,
    data: anyObject,
    data_hash: z.string().describe('SHA-256 of the canonical JSON of data'),
    policy: policySchema.nullable(),
    governance: anyObject.nullable(),
    risk_level: z.string(),
    reasons: z.array(z.string()),
    requires_human_validation: z.boolean(),
    approvals_required: z.number().int(),
    approvals: z.number().int().describe('Distinct approvers so far'),
    decisions: z.array(decisionSchema),
    expires_at: isoTime.nullable(),
    steps: z.array(stepSchema),
    flag_variants: z
      .record(z.string(), z.string())
      .describe(
        'The flag variants its steps run under (flag key -> variant), pinned when the workflow was created: a resumed run keeps them',
      ),
  })
  .describe('A workflow record as the API shows it');

/** A workflow in a list: the record without its input and step results (GET /:id has them). */
export const workflowSummarySchema = workflowViewSchema
  .omit({ data: true, steps: true })
  .describe('A workflow in a list: the record without data and steps');

export const workflowPageSchema = z.object({
  items: z.array(workflowSummarySchema),
  next_cursor: z.string().nullable(),
});

export const auditEntrySchema = z.object({
  seq: z.number().int(),
  at: isoTime,
  actor: z.string(),
  actor_name: z.string().nullable(),
  details: anyObject.nullable(),
  action: z.string(),
  workflow_id: z.string().nullable(),
  from_status: z.string().nullable(),
  to_status: z.string().nullable(),
  comment: z.string().nullable(),
  correlation_id: z.string().nullable(),
  chain: z
    .string()
    .nullable()
    .describe('The chain the entry links into (its workflow); null on 0.1.0 entries'),
  chain_seq: z.number().int().nullable().describe('Position in its chain, from 1 without gaps'),
  key_id: z.string().nullable().describe('The audit key id that linked it; null on 0.1.0 (unkeyed) entries'),
  prev_hash: z.string(),
  hash: z
    .string()
    .describe('HMAC-SHA256 under the key named by key_id over prev_hash and the canonical entry'),
});

export const auditPageSchema = z.object({
  items: z.array(auditEntrySchema),
  next_cursor: z.string().nullable(),
});

export const auditVerificationSchema = z.object({
  ok: z.boolean(),
  entries: z.number().int(),
  first_bad_seq: z.number().int().optional(),
  reason: z
    .enum(['tampered', 'truncated', 'unknown_key', 'key_mismatch'])
    .optional()
    .describe('unknown_key / key_mismatch: not verifiable with the configured keys (not proof of tampering)'),
  key_id: z.string().optional(),
});

export const eventAcceptedSchema = z.object({ id: z.string().describe('The broker message id') });

export const agentListSchema = z.object({
  agents: z.array(
    z.object({
      id: z.string(),
      message_types: z.array(z.string()),
      enabled: z.boolean(),
      description: z.string().nullable(),
    }),
  ),
});
