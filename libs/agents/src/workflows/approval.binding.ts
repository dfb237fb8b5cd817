import { dataHash, type WorkflowDecision, type WorkflowRecord } from '@mira/state';
import { applyMergePatch } from './merge-patch';
import { WorkflowError } from './workflow.error';

// Approvals bound to the data they approved: the patch rules, pure (no store, no clock).

/** The fields governance assesses: an approver's data_patch may not touch them. */
export const ASSESSED_KEYS: readonly string[] = [
  'financial_impact',
  'compliance_level',
  'explainability_score',
  'workflow_id',
];

/**
 * The keys of `patch` governance assessed on this record: the governance_data fields, and any key
 * its assessment recorded (so a plugin's assessment is covered too).
 */
export function assessedKeysTouched(record: WorkflowRecord, patch: Record<string, unknown>): string[] {
  const assessed = new Set([...ASSESSED_KEYS, ...Object.keys(record.governance ?? {})]);
  return Object.keys(patch).filter((k) => assessed.has(k));
}

export interface PatchedData {
  data: Record<string, unknown>;
  before: string;
  after: string;
}

/** Applies an approver's data_patch, refusing assessed keys (403) and a result that is not an object. */
export function patchData(record: WorkflowRecord, patch: Record<string, unknown>): PatchedData {
  const touched = assessedKeysTouched(record, patch);
  if (touched.length > 0)
    throw new WorkflowError(
      'WORKFLOW_FORBIDDEN',
      `data_patch may not change what governance assessed: ${touched.join(', ')} (submit a new workflow instead)`,
    );
  const data = applyMergePatch(record.data, patch);
  if (typeof data !== 'object' || data === null || Array.isArray(data))
    throw new WorkflowError('WORKFLOW_INVALID_INPUT', 'data_patch: the patched data must stay an object');
  const patched = data as Record<string, unknown>;
  return { data: patched, before: record.data_hash, after: dataHash(patched) };
}

/** Earlier approvals marked dismissed (they approved data that changed); rejections stay as they were. */
export function dismissApprovals(decisions: readonly WorkflowDecision[]): WorkflowDecision[] {
  return decisions.map((d) => (d.decision === 'approve' && !d.dismissed ? { ...d, dismissed: true } : d));
}
