import { request, startTestApp, type TestApp } from './support/test-app';

// The reference implementation's four cases (mira/tests/test_agents.py), over real HTTP.
describe('roadmapping_agent over HTTP (reference cases)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  const send = (type: string, data: unknown) => request(`${t.url}/api/v1/messages`, { body: { type, data } });

  it('test_generate_roadmap: three objectives give three initiatives, a positive EBIT projection and a timeline', async () => {
    const res = await send('generate_roadmap', {
      business_objectives: ['efficiency', 'growth', 'innovation'],
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ agent_id: 'roadmapping_agent', status: 'success', error: null });
    const roadmap = res.body.data;
    expect(roadmap.initiatives).toHaveLength(3);
    expect(roadmap.initiatives[0]).toEqual({
      name: 'Automate efficiency processes',
      objective: 'efficiency',
      ebit_impact: 0.25,
      revenue: 0.1,
      cost_save: 0.35,
      scale_factor: 1.2,
      priority: 'high',
      timeline_weeks: 12,
    });
    // (0.1 + 0.03 + 0.105) * 1.2 + (0.12 + 0.12 + 0.045) * 1.5 + (0.08 + 0.075 + 0.06) * 1.0 = 0.9245
    expect(roadmap.ebit_projection).toBe(0.92);
    expect(roadmap.timeline['AI-driven growth optimization']).toEqual({ start_week: 13, end_week: 28 });
    expect(roadmap.generated_by).toBe('roadmapping_agent');
  });

  it('test_generate_roadmap_empty_objectives: no initiatives and a projection of 0.0', async () => {
    const res = await send('generate_roadmap', { business_objectives: [] });
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ initiatives: [], ebit_projection: 0, timeline: {} });
  });

  it('test_track_kpi_progress: answers the initiative with its attribution, revenue impact and savings', async () => {
    const res = await send('track_kpi_progress', { initiative_id: 'INIT-001' });
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({
      initiative_id: 'INIT-001',
      ebit_attribution: 0,
      revenue_impact: 0,
      cost_savings: 0,
      last_updated: null,
      tracked_by: 'roadmapping_agent',
    });
    const withKpis = await send('track_kpi_progress', {
      initiative_id: 'INIT-002',
      kpis: { ebit_pct: 0.18, revenue_change: 0.22, cost_reduction: 0.15, last_updated: '2025-12-07' },
    });
    expect(withKpis.body.data).toMatchObject({
      ebit_attribution: 0.18,
      revenue_impact: 0.22,
      cost_savings: 0.15,
    });
  });

  it('test_route_to_roadmapping_agent: the orchestrator routes generate_roadmap; unknown objectives get the generic initiative', async () => {
    const res = await send('generate_roadmap', { business_objectives: ['efficiency', 'growth'] });
    expect(res.body.status).toBe('success');
    expect(res.body.data.initiatives).toHaveLength(2);
    const other = await send('generate_roadmap', { business_objectives: ['Customer Trust'] });
    expect(other.body.data.initiatives[0]).toMatchObject({
      name: 'AI initiative for Customer Trust',
      timeline_weeks: 14,
    });
  });

  it('refuses bad input with a 422 naming the field, and documents both types', async () => {
    const res = await send('generate_roadmap', { business_objectives: 'growth' });
    expect(res.status).toBe(422);
    expect(res.body.error).toContain('business_objectives');
    const agents = await request(`${t.url}/api/v1/agents`);
    const roadmapping = agents.body.agents.find((a: { id: string }) => a.id === 'roadmapping_agent');
    expect(roadmapping.message_types ?? roadmapping.messageTypes).toEqual([
      'generate_roadmap',
      'track_kpi_progress',
    ]);
  });
});
