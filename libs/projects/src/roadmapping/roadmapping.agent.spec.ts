import { RoadmappingAgent, ebitImpact } from './roadmapping.agent';

describe('RoadmappingAgent (reference rules)', () => {
  const agent = new RoadmappingAgent();

  it('test_calculate_ebit_impact: weighted KPIs times scale factor, rounded to 2 decimals', () => {
    const total = ebitImpact([
      { ebit_impact: 0.25, revenue: 0.2, cost_save: 0.3, scale_factor: 1.0 },
      { ebit_impact: 0.3, revenue: 0.25, cost_save: 0.2, scale_factor: 1.5 },
    ]);
    expect(total).toBe(0.63);
  });

  it('matches objectives case-insensitively and keeps the caller spelling in names', async () => {
    const res = await agent.process({
      type: 'generate_roadmap',
      data: { business_objectives: ['Cost Reduction', 'Revenue'] },
    });
    expect(res.status).toBe('success');
    const data = res.data as { initiatives: { name: string; priority: string }[] };
    expect(data.initiatives.map((i) => [i.name, i.priority])).toEqual([
      ['Automate Cost Reduction processes', 'high'],
      ['AI-driven Revenue optimization', 'high'],
    ]);
  });

  it('an unknown type is an error envelope', async () => {
    const res = await agent.process({ type: 'nope', data: {} });
    expect(res).toMatchObject({ status: 'error', data: null });
  });
});
