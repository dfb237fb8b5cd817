import { RISK_ASSESSMENT_AGENT_ID, RISK_PATTERNS, RiskAssessmentAgent } from './risk-assessment.agent';

/**
 * DOMAIN.md's risk-pattern table as written there (category, pattern, keywords, severity,
 * mitigation): what the agent must find, not read from RISK_PATTERNS, so a wrong entry fails.
 */
const DOMAIN_TABLE = `
| schedule | tight_deadline | urgent, asap, short timeline | high | Add buffer time, reduce scope, or increase resources |
| technical | new_technology | new, unfamiliar, learning | medium | Allocate time for training and proof-of-concept |
| resource | limited_resources | limited, insufficient, lack of | high | Secure additional resources or adjust project scope |
| dependency | external_dependency | depends on, waiting for, third party | medium | Establish clear SLAs and backup plans |
`;
const DOMAIN_RISKS = DOMAIN_TABLE.trim()
  .split('\n')
  .map((row) => {
    const [category, pattern, keywords, severity, mitigation] = row
      .split('|')
      .slice(1, -1)
      .map((cell) => cell.trim());
    return { category, pattern, keywords: keywords.split(', '), severity, mitigation };
  });

describe('RiskAssessmentAgent', () => {
  const agent = new RiskAssessmentAgent();
  const assess = async (data: Record<string, unknown>) => {
    const r = await agent.process({ type: 'assess_risks', data });
    expect(r.status).toBe('success');
    return r.data as any;
  };
  const tasks = (n: number) => Array.from({ length: n }, (_, i) => ({ id: `T${i + 1}` }));

  it('has the risk-pattern table of DOMAIN.md, in its order', () => {
    expect(RISK_PATTERNS).toEqual(DOMAIN_RISKS);
  });

  it('finds nothing in a plain description: score 0, no risks', async () => {
    expect(await assess({ name: 'Calm', description: 'A steady maintenance release' })).toEqual({
      project_name: 'Calm',
      risk_score: 0,
      total_risks: 0,
      risks: [],
      assessed_by: RISK_ASSESSMENT_AGENT_ID,
    });
  });

  it('names an unnamed project "Unknown Project" (the reference wire name)', async () => {
    expect((await assess({ description: 'urgent' })).project_name).toBe('Unknown Project');
  });

  it('uses the defaults for missing fields', async () => {
    expect(await assess({})).toEqual({
      project_name: 'Unknown Project',
      risk_score: 0,
      total_risks: 0,
      risks: [],
      assessed_by: 'risk_assessment_agent',
    });
  });

  const cases = DOMAIN_RISKS.flatMap((row) => row.keywords.map((k) => [row.pattern, k, row] as const));
  it.each(cases)('pattern %s is detected by keyword "%s" (any case)', async (pattern, keyword, row) => {
    for (const description of [`Project is ${keyword} here`, `PROJECT IS ${keyword.toUpperCase()} HERE`]) {
      const result = await assess({ name: 'P', description });
      expect(result.risks).toEqual([
        {
          id: 'R1',
          category: row.category,
          pattern,
          severity: row.severity,
          description: `Potential ${row.category} risk detected`,
          mitigation: row.mitigation,
          status: 'identified',
        },
      ]);
      expect(result.total_risks).toBe(1);
    }
  });

  it('adds one risk per pattern even when several of its keywords match', async () => {
    const result = await assess({ description: 'Urgent! ASAP, on a short timeline' });
    expect(result.total_risks).toBe(1);
    expect(result.risks[0]).toMatchObject({ id: 'R1', pattern: 'tight_deadline' });
  });

  it('matches keywords as case-insensitive substrings', async () => {
    const result = await assess({ description: 'Contract RENEWAL' });
    expect(result.risks.map((r: { pattern: string }) => r.pattern)).toEqual(['new_technology']);
  });

  it('numbers risks R1.. in table order and scores them', async () => {
    const result = await assess({
      name: 'Big',
      description: 'Third party API; we are learning Rust with insufficient staff, timeline is urgent',
    });
    expect(result.risks.map((r: { id: string; pattern: string }) => [r.id, r.pattern])).toEqual([
      ['R1', 'tight_deadline'],
      ['R2', 'new_technology'],
      ['R3', 'limited_resources'],
      ['R4', 'external_dependency'],
    ]);
    // (3 + 2 + 3 + 2) / (3 * 4) * 100 = 83.333...
    expect(result.risk_score).toBe(83.33);
    expect(result.total_risks).toBe(4);
  });

  it('scores one high + one medium risk as 83.33', async () => {
    const result = await assess({ description: 'urgent and unfamiliar' });
    expect(result.risks.map((r: { severity: string }) => r.severity)).toEqual(['high', 'medium']);
    expect(result.risk_score).toBe(83.33);
  });

  it('scores a single medium risk as 66.67 and a single high risk as 100', async () => {
    expect((await assess({ description: 'waiting for vendor' })).risk_score).toBe(66.67);
    expect((await assess({ description: 'limited budget' })).risk_score).toBe(100);
  });

  it('adds a high task density risk above 5 tasks per week', async () => {
    const result = await assess({ description: 'new stack', tasks: tasks(12), duration_weeks: 2 });
    expect(result.risks).toEqual([
      expect.objectContaining({ id: 'R1', pattern: 'new_technology' }),
      {
        id: 'R2',
        category: 'schedule',
        pattern: 'high_task_density',
        severity: 'high',
        description: 'High task density: 6.0 tasks per week',
        mitigation: 'Consider extending timeline or adding resources',
        status: 'identified',
      },
    ]);
    // (2 + 3) / 6 * 100
    expect(result.risk_score).toBe(83.33);
  });

  it('formats the density with one decimal', async () => {
    const result = await assess({ tasks: tasks(16), duration_weeks: 3 });
    expect(result.risks[0].description).toBe('High task density: 5.3 tasks per week');
    expect(result.risk_score).toBe(100);
  });

  it('adds no density risk at exactly 5 tasks per week', async () => {
    expect((await assess({ tasks: tasks(10), duration_weeks: 2 })).total_risks).toBe(0);
  });

  it('adds no density risk with a duration of 0 or without tasks', async () => {
    expect((await assess({ tasks: tasks(10), duration_weeks: 0 })).total_risks).toBe(0);
    expect((await assess({ tasks: [], duration_weeks: 0.1 })).total_risks).toBe(0);
  });

  it('merges update_risk updates into the risk', async () => {
    const risk = { id: 'R1', severity: 'high', status: 'identified' };
    const r = await agent.process({
      type: 'update_risk',
      data: { risk, updates: { status: 'mitigated', owner: 'ops' } },
    });
    expect(r.status).toBe('success');
    expect(r.data).toEqual({ id: 'R1', severity: 'high', status: 'mitigated', owner: 'ops' });
  });

  it.each([
    ['assess_risks', { description: 7 }, 'description'],
    ['assess_risks', { tasks: 'many' }, 'tasks'],
    ['assess_risks', { duration_weeks: -1 }, 'duration_weeks'],
    ['update_risk', { updates: {} }, 'risk'],
    ['update_risk', { risk: {}, updates: [1] }, 'updates'],
  ])('%s with %j answers an error naming %s', async (type, data, field) => {
    const r = await agent.process({ type, data });
    expect(r).toMatchObject({ status: 'error', data: null, agent_id: 'risk_assessment_agent' });
    expect(r.error).toContain(`Invalid data for ${type}: `);
    expect(r.error).toContain(`${field}: `);
  });
});
