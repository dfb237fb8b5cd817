import type { z } from 'zod';
import type { governanceSchema } from './agents.config';
import { BUILT_IN_DEFAULT_POLICY } from './governance.policy';

type Governance = Partial<z.output<typeof governanceSchema>> | undefined;
type Held = { path: string; change: string };
type Policies = z.output<typeof governanceSchema>['policies'];

const RISK = ['low', 'medium', 'high'] as const;
// As the governance agent ranks them; an unknown level ranks as `medium` (2), as it does there.
const COMPLIANCE: Readonly<Record<string, number>> = { low: 1, medium: 2, high: 3, critical: 4 };
const complianceRank = (v: unknown) => {
  const key = typeof v === 'string' ? v.toLowerCase() : '';
  return Object.hasOwn(COMPLIANCE, key) ? COMPLIANCE[key] : 2;
};
const riskRank = (v: unknown) => Math.max(0, RISK.indexOf(v as (typeof RISK)[number]));

/**
 * The governance changes a live reload never applies, because each one lets a workflow through
 * with less review than the running config gives it (and a truncated write that resets keys to
 * their defaults can look exactly like one): a higher `financial_threshold` or
 * `compliance_threshold`, a lower `explainability_threshold`, fewer `approvals_required`, self
 * approval switched on, and per policy a lower `minimum_risk`, `when_unassessed` switched to
 * `run`, fewer approvals (its own or, where it has none, the global ones) or the policy removed.
 * They wait for a restart; the opposite changes (tightening) apply live.
 */
export function governanceReloadHolds(running: Governance, desired: Governance): Held[] {
  const out: Held[] = [];
  const held = (path: string, change: string) => out.push({ path: `governance.${path}`, change });
  if (!running || !desired) return out;
  if (desired.financial_threshold! > running.financial_threshold!) held('financial_threshold', 'raised');
  if (complianceRank(desired.compliance_threshold) > complianceRank(running.compliance_threshold))
    held('compliance_threshold', 'raised');
  if (desired.explainability_threshold! < running.explainability_threshold!)
    held('explainability_threshold', 'lowered');
  const quorumBefore = running.approvals_required ?? { low: 1, medium: 1, high: 1 };
  const quorumAfter = desired.approvals_required ?? { low: 1, medium: 1, high: 1 };
  for (const risk of RISK)
    if (quorumAfter[risk] < quorumBefore[risk]) held(`approvals_required.${risk}`, 'lowered');
  if (running.allow_self_approval !== true && desired.allow_self_approval === true)
    held('allow_self_approval', 'false -> true');

  const policiesBefore = running.policies ?? {};
  const policiesAfter = desired.policies ?? {};
  const own = (p: Policies, name: string) => (Object.hasOwn(p, name) ? p[name] : undefined);
  // What a type without its own entry gets: `default`, else the built-in default.
  const fallback = (p: Policies) => own(p, 'default') ?? BUILT_IN_DEFAULT_POLICY;
  const names = new Set([...Object.keys(policiesBefore), ...Object.keys(policiesAfter), 'default']);
  for (const name of names) {
    const listed = own(policiesBefore, name);
    const before = listed ?? fallback(policiesBefore);
    const after = own(policiesAfter, name);
    if (!after) {
      // Held whole: restoring only some of its keys would leave a half policy.
      if (listed) held(`policies.${name}`, 'removed');
      continue;
    }
    const weaker: string[] = [];
    if (riskRank(after.minimum_risk) < riskRank(before.minimum_risk))
      weaker.push(`minimum_risk ${before.minimum_risk} -> ${after.minimum_risk}`);
    if (before.when_unassessed !== 'run' && after.when_unassessed === 'run')
      weaker.push(`when_unassessed ${before.when_unassessed} -> run`);
    for (const risk of RISK) {
      const ownBefore = before.approvals_required?.[risk];
      const ownAfter = after.approvals_required?.[risk];
      // With no own value on either side the global key decides (its lowering is held above).
      if (ownBefore === undefined && ownAfter === undefined) continue;
      if ((ownAfter ?? quorumAfter[risk]) < (ownBefore ?? quorumBefore[risk]))
        weaker.push(`approvals_required.${risk} lowered`);
    }
    if (weaker.length === 0) continue;
    // A new entry weaker than what the type had is held whole (nothing to restore it to).
    if (!listed) held(`policies.${name}`, `added (${weaker.join(', ')})`);
    else
      for (const w of weaker) {
        const key = w.split(' ')[0];
        held(`policies.${name}.${key}`, w.slice(key.length + 1));
      }
  }
  return out;
}
