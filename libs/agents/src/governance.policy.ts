import { z } from 'zod';

// No default: a level left out falls back to governance.approvals_required (env strings coerced).
const optionalQuorum = () =>
  z
    .preprocess(
      (v) => (typeof v === 'string' && /^-?\d+$/.test(v.trim()) ? Number(v) : v),
      z.number().int().min(1).max(100),
    )
    .optional();

const RISK_LEVEL = z.enum(['low', 'medium', 'high']);

/**
 * The review policy of a workflow type (`governance.policies.<workflow_type>`, else
 * `governance.policies.default`), set by operators, never by the requester.
 */
export const governancePolicySchema = z.strictObject({
  // A workflow without governance_data: `hold` (for approval at risk high) or `run` (as assessed low).
  when_unassessed: z.enum(['hold', 'run']).default('hold'),
  // The assessed risk never goes below this.
  minimum_risk: RISK_LEVEL.default('low'),
  // Distinct approvals per risk level for this type; a level left out uses governance.approvals_required.
  approvals_required: z
    .strictObject({
      low: optionalQuorum(),
      medium: optionalQuorum(),
      high: optionalQuorum(),
    })
    .prefault({}),
});
export type GovernancePolicy = z.output<typeof governancePolicySchema>;

/** The policy of a type without its own entry. */
export const DEFAULT_GOVERNANCE_POLICY_NAME = 'default';
/** `governance.policies.default` when it is not listed: unassessed work is held, risk as assessed. */
export const BUILT_IN_DEFAULT_POLICY: Readonly<GovernancePolicy> = Object.freeze({
  when_unassessed: 'hold',
  minimum_risk: 'low',
  approvals_required: {},
});

/**
 * The policy that applies to `workflowType`, with its name (stored on the record so a reviewer
 * sees why it was held): `policies.<type>`, else `policies.default`, else the built-in default;
 * its approvals per level fall back to `governance.approvals_required`.
 */
export function governancePolicyFor(
  governance: {
    policies: Readonly<Record<string, GovernancePolicy>>;
    approvals_required: { low: number; medium: number; high: number };
  },
  workflowType: string,
): {
  name: string;
  when_unassessed: 'hold' | 'run';
  minimum_risk: 'low' | 'medium' | 'high';
  approvals_required: { low: number; medium: number; high: number };
} {
  const policies = governance.policies;
  const name = Object.hasOwn(policies, workflowType) ? workflowType : DEFAULT_GOVERNANCE_POLICY_NAME;
  const policy = Object.hasOwn(policies, name) ? policies[name] : BUILT_IN_DEFAULT_POLICY;
  const own = policy.approvals_required;
  const global = governance.approvals_required;
  return {
    name,
    when_unassessed: policy.when_unassessed,
    minimum_risk: policy.minimum_risk,
    approvals_required: {
      low: own.low ?? global.low,
      medium: own.medium ?? global.medium,
      high: own.high ?? global.high,
    },
  };
}
