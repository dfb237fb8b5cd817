// The workflow lifecycle the store keeps: its statuses (the type is derived from the list), which of
// them are final, and how approvals count. libs/agents adds the events of outcomes.

const STATUSES = [
  'running',
  'completed',
  'failed',
  'pending_approval',
  'approved',
  'rejected',
  'expired',
  'cancelled',
] as const;

export type WorkflowStatus = (typeof STATUSES)[number];

export const WORKFLOW_STATUSES: readonly WorkflowStatus[] = STATUSES;

/** Statuses nothing moves on from. */
export const FINAL_STATUSES: readonly WorkflowStatus[] = [
  'completed',
  'failed',
  'rejected',
  'expired',
  'cancelled',
];

/**
 * Distinct approvers (by stable id) among the decisions still standing: one approver counts once,
 * and an approval dismissed by a later data_patch no longer counts.
 */
export function countApprovals(
  decisions: readonly { actor: string; decision: string; dismissed?: boolean }[],
): number {
  return new Set(decisions.filter((d) => d.decision === 'approve' && !d.dismissed).map((d) => d.actor)).size;
}
