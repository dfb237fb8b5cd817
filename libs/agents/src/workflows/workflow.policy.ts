import type { WorkflowPolicy } from '@mira/state';
import type { GovernanceVerdict } from './governance.gate';

// The operator's review policy applied to a governance verdict: pure, no store, no clock.

const RISK_RANK: Readonly<Record<string, number>> = { low: 1, medium: 2, high: 3 };

/** The higher of two risk levels (an unknown level ranks as high: fail closed). */
export function higherRisk(a: string, b: string): string {
  return (RISK_RANK[a] ?? 3) >= (RISK_RANK[b] ?? 3) ? a : b;
}

export interface PolicyOutcome {
  riskLevel: string;
  held: boolean;
  reasons: string[];
  /** Distinct approvals needed when held, else 0. */
  approvalsRequired: number;
}

/**
 * What a workflow's policy makes of its verdict (null: no governance_data was sent).
 * Unassessed work is held at risk high under `when_unassessed: hold`; `minimum_risk` is a floor
 * under the assessed risk, and a risk floored to high is held like any high-risk assessment.
 */
export function applyPolicy(policy: WorkflowPolicy, verdict: GovernanceVerdict | null): PolicyOutcome {
  let riskLevel: string;
  let held: boolean;
  const reasons = [...(verdict?.reasons ?? [])];
  if (verdict === null && policy.when_unassessed === 'hold') {
    riskLevel = 'high';
    held = true;
    reasons.push(`No governance assessment (policy ${policy.name})`);
  } else {
    const assessed = verdict?.riskLevel ?? 'low';
    riskLevel = higherRisk(assessed, policy.minimum_risk);
    if (riskLevel !== assessed)
      reasons.push(`Risk raised from ${assessed} to ${riskLevel} (policy ${policy.name}, minimum_risk)`);
    held = verdict?.requiresValidation === true || riskLevel === 'high';
  }
  return { riskLevel, held, reasons, approvalsRequired: held ? quorumFor(policy, riskLevel) : 0 };
}

/** The policy's quorum at a risk level (an unknown level takes the largest: fail closed). */
export function quorumFor(policy: WorkflowPolicy, riskLevel: string): number {
  const required = policy.approvals_required as Record<string, number>;
  return Object.hasOwn(required, riskLevel) ? required[riskLevel] : Math.max(...Object.values(required), 1);
}
