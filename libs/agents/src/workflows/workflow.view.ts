import type { WorkflowRecord } from '@mira/state';
import { countApprovals } from './workflow.lifecycle';
import type { WorkflowSummary, WorkflowView } from './workflow.interface';

/** The API's view of a record: internal lease and hash fields stay inside. */
export function workflowView(record: WorkflowRecord): WorkflowView {
  return {
    workflow_id: record.workflow_id,
    workflow_type: record.workflow_type,
    status: record.status,
    requested_by: record.requested_by,
    requested_by_name: record.requested_by_name,
    title: record.title,
    summary: record.summary,
    created_at: record.created_at,
    updated_at: record.updated_at,
    data: record.data,
    data_hash: record.data_hash,
    policy: record.policy,
    governance: record.governance,
    risk_level: record.risk_level,
    reasons: record.reasons,
    requires_human_validation: record.approvals_required > 0,
    approvals_required: record.approvals_required,
    approvals: countApprovals(record.decisions),
    decisions: record.decisions,
    expires_at: record.expires_at,
    steps: record.steps as WorkflowView['steps'],
    flag_variants: record.flag_variants,
  };
}

/**
 * A record in a list: everything but its input and step results, which can be megabytes each
 * (GET /api/v1/workflows/:id has them), so a page of 100 stays small.
 */
export function workflowSummary(record: WorkflowRecord): WorkflowSummary {
  const { data: _data, steps: _steps, ...summary } = workflowView(record);
  return summary;
}
