import { createHash, randomUUID } from 'node:crypto';
import { canonicalJson, type WorkflowRecord } from '@mira/state';
import { describeIssues } from '../base.agent';
import { governanceDataSchema, WORKFLOW_ID_PATTERN } from './governance-data.schema';
import { WorkflowError } from './workflow.error';
import type { WorkflowRequest } from './workflow.interface';

// Pure checks of a workflow request: no store, no broker, no clock.

export function validateGovernanceData(
  value: WorkflowRequest['governance_data'],
): Record<string, unknown> | null {
  if (value === undefined || value === null) return null;
  const parsed = governanceDataSchema.safeParse(value);
  if (!parsed.success) {
    const issues = describeIssues(parsed.error)
      .split('; ')
      .map((i) => `governance_data.${i}`)
      .join('; ');
    throw new WorkflowError('WORKFLOW_INVALID_INPUT', `Invalid governance_data: ${issues}`);
  }
  return parsed.data;
}

/** The id the client chose (governance_data or data), checked, or a new UUID. */
export function workflowIdOf(request: WorkflowRequest): string {
  const given = request.governance_data?.workflow_id ?? request.data?.workflow_id;
  if (given === undefined || given === null) return randomUUID();
  if (typeof given !== 'string' || !WORKFLOW_ID_PATTERN.test(given))
    throw new WorkflowError(
      'WORKFLOW_INVALID_INPUT',
      'workflow_id: must be 1-128 letters, digits, ".", "_", ":" or "-"',
    );
  return given;
}

export function workflowExists(id: string): WorkflowError {
  return new WorkflowError(
    'WORKFLOW_ALREADY_EXISTS',
    `Workflow ${id} already exists: choose another workflow_id, or send an Idempotency-Key to retry safely`,
  );
}

/** The record an Idempotency-Key found, if it was made from the same request. */
export function sameRequest(record: WorkflowRecord, hash: string | null): WorkflowRecord {
  if (hash !== null && record.request_hash !== hash)
    throw new WorkflowError(
      'WORKFLOW_IDEMPOTENCY_MISMATCH',
      'Idempotency-Key was already used with a different request body: use a new key for a new request',
    );
  return record;
}

/** A digest of what was asked, so a reused Idempotency-Key with another body is recognised. */
export function hashRequest(request: WorkflowRequest): string {
  return createHash('sha256')
    .update(canonicalJson([request.workflow_type, request.data ?? {}, request.governance_data ?? null]))
    .digest('hex');
}
