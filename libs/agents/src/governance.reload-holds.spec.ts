import { loadConfig, planReload, type MiraConfigInput } from '@mira/config';
import { governancePolicyFor } from './governance.policy';
import { governanceReloadHolds } from './governance.reload-holds';
import './agents.config';

const gov = (governance: MiraConfigInput['governance']) =>
  loadConfig({ file: null, env: {}, overrides: { governance } }).config;
const holds = (a: MiraConfigInput['governance'], b: MiraConfigInput['governance']) =>
  governanceReloadHolds(gov(a).governance, gov(b).governance).map((h) => `${h.path} (${h.change})`);

describe('governanceReloadHolds', () => {
  it('holds thresholds that let more through, applies the opposite', () => {
    expect(holds({ financial_threshold: 10000 }, { financial_threshold: 20000 })).toEqual([
      'governance.financial_threshold (raised)',
    ]);
    expect(holds({ financial_threshold: 10000 }, { financial_threshold: 5000 })).toEqual([]);
    expect(holds({ compliance_threshold: 'medium' }, { compliance_threshold: 'high' })).toEqual([
      'governance.compliance_threshold (raised)',
    ]);
    expect(holds({ compliance_threshold: 'medium' }, { compliance_threshold: 'low' })).toEqual([]);
    expect(holds({ explainability_threshold: 0.8 }, { explainability_threshold: 0.5 })).toEqual([
      'governance.explainability_threshold (lowered)',
    ]);
    expect(holds({ explainability_threshold: 0.5 }, { explainability_threshold: 0.8 })).toEqual([]);
    expect(holds({ approvals_required: { medium: 3 } }, { approvals_required: { medium: 2 } })).toEqual([
      'governance.approvals_required.medium (lowered)',
    ]);
    expect(holds({}, { allow_self_approval: true })).toEqual([
      'governance.allow_self_approval (false -> true)',
    ]);
  });

  it('holds a weaker policy, a removed policy and a new entry weaker than the default it replaces', () => {
    const strict = {
      policies: { default: { minimum_risk: 'medium' as const }, deploy: { minimum_risk: 'high' as const } },
    };
    expect(holds(strict, { policies: { default: { minimum_risk: 'medium' } } })).toEqual([
      'governance.policies.deploy (removed)',
    ]);
    expect(holds(strict, { policies: { ...strict.policies, deploy: { minimum_risk: 'low' } } })).toEqual([
      'governance.policies.deploy.minimum_risk (high -> low)',
    ]);
    expect(holds({}, { policies: { default: { when_unassessed: 'run' } } })).toEqual([
      'governance.policies.default (added (when_unassessed hold -> run))',
    ]);
    expect(
      holds(
        { policies: { deploy: { approvals_required: { high: 3 } } } },
        { policies: { deploy: { approvals_required: {} } } },
      ),
    ).toEqual(['governance.policies.deploy.approvals_required.high (lowered)']);
    // Tightening: a stricter new policy, a higher minimum, more approvals.
    expect(
      holds({}, { policies: { deploy: { minimum_risk: 'high', approvals_required: { high: 2 } } } }),
    ).toEqual([]);
  });

  it('a reload plan keeps the running value of a held key and applies the tightening beside it', () => {
    const running = gov({ financial_threshold: 10000, explainability_threshold: 0.7 });
    const plan = planReload(
      running,
      gov({
        financial_threshold: 50000,
        explainability_threshold: 0.9,
        policies: { default: { minimum_risk: 'medium' } },
      }),
    );
    expect(plan.held.map((h) => h.path)).toEqual(['governance.financial_threshold']);
    expect(plan.config.governance.financial_threshold).toBe(10000);
    expect(plan.config.governance.explainability_threshold).toBe(0.9);
    expect(plan.config.governance.policies.default.minimum_risk).toBe('medium');
  });
});

describe('governancePolicyFor', () => {
  it('uses the type’s policy, else default, else the built-in; approvals fall back to the global keys', () => {
    const g = gov({
      approvals_required: { high: 2 },
      policies: { deploy: { when_unassessed: 'run', approvals_required: { medium: 3 } } },
    }).governance;
    expect(governancePolicyFor(g, 'deploy')).toEqual({
      name: 'deploy',
      when_unassessed: 'run',
      minimum_risk: 'low',
      approvals_required: { low: 1, medium: 3, high: 2 },
    });
    expect(governancePolicyFor(g, 'other')).toEqual({
      name: 'default',
      when_unassessed: 'hold',
      minimum_risk: 'low',
      approvals_required: { low: 1, medium: 1, high: 2 },
    });
  });
});
