import { ProjectPlanAgent } from './project-plan.agent';

describe('ProjectPlanAgent', () => {
  it('smoke', async () => {
    const r = await new ProjectPlanAgent().process({ type: 'generate_plan', data: { goals: ['a'] } });
    expect(r.status).toBe('success');
  });
});
