import { Injectable } from '@nestjs/common';
import { ConfigStore } from '@mira/config';
import type { WorkflowDecision, WorkflowPatch, WorkflowRecord } from '@mira/state';
import { governancePolicyFor } from '../governance.policy';
import { dismissApprovals, patchData } from './approval.binding';
import { GovernanceGate } from './governance.gate';
import { applyPolicy, higherRisk, type PolicyOutcome } from './workflow.policy';

/**
 * An approval with a data_patch: the data changes, so every earlier approval is dismissed (it
 * approved other data), the editor's vote counts for the new data, the workflow is re-assessed
 * under the current policy, and a higher risk raises the quorum (never lowers it).
 */
@Injectable()
export class ApprovalRebinding {
  constructor(
    private readonly gate: GovernanceGate,
    private readonly config: ConfigStore,
  ) {}

  /** The policy's verdict on the record's assessed inputs, as they would be judged now. */
  async reassess(record: WorkflowRecord): Promise<PolicyOutcome & { policy: WorkflowRecord['policy'] }> {
    const policy = governancePolicyFor(this.config.get('governance'), record.workflow_type);
    const inputs = assessedInputs(record.governance);
    const verdict = inputs ? await this.gate.assess(record.workflow_id, inputs) : null;
    return { ...applyPolicy(policy, verdict), policy };
  }

  /** The record change of an approval carrying `patch` (assessed keys refused, see patchData). */
  apply(
    record: WorkflowRecord,
    patch: Record<string, unknown>,
    decision: WorkflowDecision,
    reassessed: (PolicyOutcome & { policy: WorkflowRecord['policy'] }) | null,
  ): { patch: WorkflowPatch; details: Record<string, unknown> } {
    const { data, before, after } = patchData(record, patch);
    const decisions = [
      ...dismissApprovals(record.decisions),
      { ...decision, data_patch: patch, data_hash: after },
    ];
    const change: WorkflowPatch = { data, data_hash: after, decisions };
    const risk = reassessed ? higherRisk(record.risk_level, reassessed.riskLevel) : record.risk_level;
    if (reassessed && risk !== record.risk_level) {
      change.risk_level = risk;
      change.reasons = [...new Set([...record.reasons, ...reassessed.reasons])];
      change.approvals_required = Math.max(record.approvals_required, reassessed.approvalsRequired);
      change.policy = reassessed.policy;
    }
    return {
      patch: change,
      details: {
        data_patch: patch,
        data_hash_before: before,
        data_hash_after: after,
        dismissed: record.decisions
          .filter((d) => d.decision === 'approve' && !d.dismissed)
          .map((d) => d.actor),
        ...(change.risk_level ? { risk_level_before: record.risk_level, risk_level_after: risk } : {}),
      },
    };
  }
}

/** The governance_data fields kept in a stored assessment (null: none was made). */
function assessedInputs(governance: Record<string, unknown> | null): Record<string, unknown> | null {
  if (!governance) return null;
  const inputs: Record<string, unknown> = {};
  for (const k of ['financial_impact', 'compliance_level', 'explainability_score'])
    if (governance[k] !== undefined) inputs[k] = governance[k];
  return inputs;
}
