import { Logger } from '@nestjs/common';
import { ConfigStore, loadConfig } from '@mira/config';
import { GOVERNANCE_AGENT_ID, GovernanceAgent } from './governance.agent';

const load = (governance: Record<string, unknown> = {}) =>
  loadConfig({ file: null, env: {}, overrides: { governance } });

describe('GovernanceAgent', () => {
  let store: ConfigStore;
  let agent: GovernanceAgent;
  let warn: jest.SpyInstance;

  beforeEach(() => {
    store = new ConfigStore(load());
    agent = new GovernanceAgent(store);
    warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  });
  afterEach(() => jest.restoreAllMocks());

  const assess = async (data: Record<string, unknown>) => {
    const r = await agent.process({ type: 'assess_governance', data });
    expect(r.status).toBe('success');
    expect(r.agent_id).toBe(GOVERNANCE_AGENT_ID);
    return r.data as any;
  };

  it('uses the default thresholds 10000 / medium / 0.7', () => {
    expect(store.get('governance')).toMatchObject({
      financial_threshold: 10000,
      compliance_threshold: 'medium',
      explainability_threshold: 0.7,
    });
  });

  it('starts at low risk without validation (defaults for every field)', async () => {
    expect(await assess({ workflow_id: 'wf-1' })).toEqual({
      financial_impact: 0,
      compliance_level: 'low',
      explainability_score: 1.0,
      risk_level: 'low',
      requires_human_validation: false,
      reasons: [],
    });
    expect(warn).not.toHaveBeenCalled();
  });

  it('flags a financial impact above the threshold as high risk needing validation', async () => {
    expect(await assess({ financial_impact: 15000 })).toEqual({
      financial_impact: 15000,
      compliance_level: 'low',
      explainability_score: 1,
      risk_level: 'high',
      requires_human_validation: true,
      reasons: ['Financial impact $15000 exceeds threshold $10000'],
    });
  });

  it('logs a warning with the details when review is required', async () => {
    await assess({ workflow_id: 'wf-9', financial_impact: 20000 });
    expect(warn).toHaveBeenCalledWith(
      expect.objectContaining({
        workflow_id: 'wf-9',
        risk_level: 'high',
        requires_human_validation: true,
        reasons: ['Financial impact $20000 exceeds threshold $10000'],
      }),
    );
  });

  it('does not flag a financial impact equal to the threshold', async () => {
    const a = await assess({ financial_impact: 10000 });
    expect(a.risk_level).toBe('low');
    expect(a.requires_human_validation).toBe(false);
    expect(a.reasons).toEqual([]);
  });

  it.each([
    ['low', 'low', false, []],
    ['medium', 'medium', false, ["Compliance level 'medium' requires review"]],
    ['high', 'medium', true, ["Compliance level 'high' requires review"]],
    ['critical', 'medium', true, ["Compliance level 'critical' requires review"]],
    ['HIGH', 'medium', true, ["Compliance level 'HIGH' requires review"]],
    ['secret', 'low', false, []],
  ])(
    'compliance level %s (threshold medium) -> risk %s, validation %s',
    async (level, risk, requires, reasons) => {
      const a = await assess({ compliance_level: level });
      expect(a.compliance_level).toBe(level);
      expect(a.risk_level).toBe(risk);
      expect(a.requires_human_validation).toBe(requires);
      expect(a.reasons).toEqual(reasons);
    },
  );

  it('ranks an unknown level 0: it never reaches even a "low" threshold', async () => {
    store.replace(load({ compliance_threshold: 'low' }));
    expect((await assess({ compliance_level: 'bogus' })).reasons).toEqual([]);
    expect((await assess({ compliance_level: 'low' })).reasons).toEqual([
      "Compliance level 'low' requires review",
    ]);
  });

  it('ranks an unknown threshold as medium (2)', async () => {
    store.replace(load({ compliance_threshold: 'whatever' }));
    expect((await assess({ compliance_level: 'low' })).risk_level).toBe('low');
    const medium = await assess({ compliance_level: 'medium' });
    expect(medium.risk_level).toBe('medium');
    expect(medium.requires_human_validation).toBe(false);
    expect(medium.reasons).toEqual(["Compliance level 'medium' requires review"]);
  });

  it('ranks names inherited from Object.prototype as unknown', async () => {
    store.replace(load({ compliance_threshold: 'constructor' }));
    // An unknown threshold ranks 2, so medium is reviewed; "toString" is an unknown level (0).
    expect((await assess({ compliance_level: 'medium' })).risk_level).toBe('medium');
    store.replace(load({ compliance_threshold: 'low' }));
    expect((await assess({ compliance_level: 'toString' })).reasons).toEqual([]);
  });

  it('requires validation for a low explainability score with the formatted reason', async () => {
    expect(await assess({ explainability_score: 0.5 })).toEqual({
      financial_impact: 0,
      compliance_level: 'low',
      explainability_score: 0.5,
      risk_level: 'medium',
      requires_human_validation: true,
      reasons: ['Explainability score 0.50 below threshold 0.7'],
    });
    expect((await assess({ explainability_score: 0.123 })).reasons).toEqual([
      'Explainability score 0.12 below threshold 0.7',
    ]);
  });

  it('does not flag a score equal to the threshold', async () => {
    const a = await assess({ explainability_score: 0.7 });
    expect(a.risk_level).toBe('low');
    expect(a.requires_human_validation).toBe(false);
  });

  it('never lowers the risk and lists every reason in order', async () => {
    const a = await assess({
      financial_impact: 50000,
      compliance_level: 'medium',
      explainability_score: 0.2,
    });
    expect(a.risk_level).toBe('high');
    expect(a.requires_human_validation).toBe(true);
    expect(a.reasons).toEqual([
      'Financial impact $50000 exceeds threshold $10000',
      "Compliance level 'medium' requires review",
      'Explainability score 0.20 below threshold 0.7',
    ]);
  });

  it('reads the thresholds live from the config store on every call', async () => {
    const data = { financial_impact: 5000, compliance_level: 'high', explainability_score: 0.8 };
    const before = await assess(data);
    expect(before.risk_level).toBe('medium');
    expect(before.reasons).toEqual(["Compliance level 'high' requires review"]);

    store.replace(
      load({ financial_threshold: 1000, compliance_threshold: 'critical', explainability_threshold: 0.9 }),
    );
    const after = await assess(data);
    expect(after).toEqual({
      ...data,
      risk_level: 'high',
      requires_human_validation: true,
      reasons: [
        'Financial impact $5000 exceeds threshold $1000',
        'Explainability score 0.80 below threshold 0.9',
      ],
    });

    store.replace(load());
    expect((await assess(data)).reasons).toEqual(["Compliance level 'high' requires review"]);
  });

  it('answers check_human_validation as { requires_validation, risk_level, reasons }', async () => {
    const r = await agent.process({
      type: 'check_human_validation',
      data: { financial_impact: 12000.5, compliance_level: 'critical' },
    });
    expect(r.status).toBe('success');
    expect(r.data).toEqual({
      requires_validation: true,
      risk_level: 'high',
      reasons: [
        'Financial impact $12000.5 exceeds threshold $10000',
        "Compliance level 'critical' requires review",
      ],
    });
    const low = await agent.process({ type: 'check_human_validation', data: {} });
    expect(low.data).toEqual({ requires_validation: false, risk_level: 'low', reasons: [] });
  });

  it.each([
    ['assess_governance', { financial_impact: '10' }, 'financial_impact'],
    ['assess_governance', { compliance_level: 3 }, 'compliance_level'],
    ['check_human_validation', { explainability_score: 'high' }, 'explainability_score'],
  ])('%s with %j answers an error naming %s', async (type, data, field) => {
    const r = await agent.process({ type, data });
    expect(r).toMatchObject({ status: 'error', data: null, agent_id: 'governance_agent' });
    expect(r.error).toContain(`Invalid data for ${type}: ${field}: `);
  });
});
