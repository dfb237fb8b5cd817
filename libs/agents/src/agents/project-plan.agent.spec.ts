import { PROJECT_PLAN_AGENT_ID, ProjectPlanAgent } from './project-plan.agent';

describe('ProjectPlanAgent', () => {
  const agent = new ProjectPlanAgent();
  const generate = (data: Record<string, unknown>) => agent.process({ type: 'generate_plan', data });

  it('answers with the standard envelope and the agent id', async () => {
    const r = await generate({ goals: ['a'] });
    expect(r).toEqual({
      agent_id: 'project_plan_agent',
      timestamp: expect.any(String),
      status: 'success',
      data: expect.any(Object),
      error: null,
    });
    expect(new Date(r.timestamp).toISOString()).toBe(r.timestamp);
    expect(agent.id).toBe(PROJECT_PLAN_AGENT_ID);
  });

  it('applies the defaults when data is empty', async () => {
    const r = await generate({});
    expect(r.data).toEqual({
      name: 'Unnamed Project',
      description: '',
      duration_weeks: 12,
      milestones: [],
      tasks: [],
      created_by: 'project_plan_agent',
    });
  });

  it('treats missing data as empty data', async () => {
    const r = await agent.process({ type: 'generate_plan', data: undefined as never });
    expect(r.status).toBe('success');
    expect((r.data as { name: string }).name).toBe('Unnamed Project');
  });

  it('numbers milestones from 1 and spreads weeks as floor(i * duration / n)', async () => {
    const r = await generate({
      name: 'Apollo',
      description: 'Moon',
      goals: ['Design', 'Build', 'Ship'],
      duration_weeks: 10,
    });
    const plan = r.data as any;
    expect(plan.name).toBe('Apollo');
    expect(plan.description).toBe('Moon');
    expect(plan.duration_weeks).toBe(10);
    expect(plan.created_by).toBe('project_plan_agent');
    expect(plan.milestones).toEqual([
      { id: 'M1', name: 'Design', week: 3, deliverables: ['Deliverable for Design'], status: 'not_started' },
      { id: 'M2', name: 'Build', week: 6, deliverables: ['Deliverable for Build'], status: 'not_started' },
      { id: 'M3', name: 'Ship', week: 10, deliverables: ['Deliverable for Ship'], status: 'not_started' },
    ]);
  });

  it.each([
    [['a'], 12, [12]],
    [['a', 'b'], 12, [6, 12]],
    [['a', 'b', 'c', 'd'], 6, [1, 3, 4, 6]],
    [['a', 'b', 'c'], 1, [0, 0, 1]],
    // The reference plans a zero-week project with every milestone at week 0.
    [['a', 'b'], 0, [0, 0]],
  ])('goals %j over %i weeks -> weeks %j', async (goals, duration_weeks, weeks) => {
    const plan = (await generate({ goals, duration_weeks })).data as any;
    expect(plan.milestones.map((m: { week: number }) => m.week)).toEqual(weeks);
  });

  it('accepts duration_weeks: 0 (reference wire behaviour) and refuses a negative duration', async () => {
    const plan = (await generate({ goals: ['Ship'], duration_weeks: 0 })).data as any;
    expect(plan.duration_weeks).toBe(0);
    expect(plan.milestones[0].week).toBe(0);
    const r = await agent.process({ type: 'generate_plan', data: { duration_weeks: -1 } });
    expect(r.status).toBe('error');
    expect(r.error).toContain('duration_weeks: ');
  });

  it('creates three tasks per milestone, in order', async () => {
    const plan = (await generate({ goals: ['Design', 'Build'], duration_weeks: 4 })).data as any;
    expect(plan.tasks).toHaveLength(6);
    expect(plan.tasks.map((t: { id: string }) => t.id)).toEqual([
      'M1-T1',
      'M1-T2',
      'M1-T3',
      'M2-T1',
      'M2-T2',
      'M2-T3',
    ]);
    expect(plan.tasks[0]).toEqual({
      id: 'M1-T1',
      milestone_id: 'M1',
      name: 'Task 1 for Design',
      status: 'not_started',
      priority: 'medium',
      estimated_hours: 8,
    });
    expect(plan.tasks[5]).toEqual({
      id: 'M2-T3',
      milestone_id: 'M2',
      name: 'Task 3 for Build',
      status: 'not_started',
      priority: 'medium',
      estimated_hours: 8,
    });
  });

  it('merges update_plan updates at top level', async () => {
    const plan = { name: 'Old', duration_weeks: 12, milestones: [{ id: 'M1' }], tasks: [] };
    const r = await agent.process({
      type: 'update_plan',
      data: { plan, updates: { name: 'New', duration_weeks: 16, owner: 'ana' } },
    });
    expect(r.status).toBe('success');
    expect(r.data).toEqual({
      name: 'New',
      duration_weeks: 16,
      milestones: [{ id: 'M1' }],
      tasks: [],
      owner: 'ana',
    });
    expect(plan.name).toBe('Old');
  });

  it('replaces (does not deep-merge) nested values on update_plan', async () => {
    const r = await agent.process({
      type: 'update_plan',
      data: { plan: { meta: { a: 1, b: 2 } }, updates: { meta: { a: 3 } } },
    });
    expect(r.data).toEqual({ meta: { a: 3 } });
  });

  it.each([
    ['generate_plan', { goals: 'ship it' }, 'goals'],
    ['generate_plan', { goals: ['ok', 3] }, 'goals.1'],
    ['generate_plan', { duration_weeks: '12' }, 'duration_weeks'],
    ['generate_plan', { name: 42 }, 'name'],
    ['update_plan', { updates: { name: 'x' } }, 'plan'],
    ['update_plan', { plan: {} }, 'updates'],
    ['update_plan', { plan: 'not a plan', updates: {} }, 'plan'],
  ])('%s with %j answers an error naming %s, never a throw', async (type, data, field) => {
    const r = await agent.process({ type, data });
    expect(r.status).toBe('error');
    expect(r.data).toBeNull();
    expect(r.agent_id).toBe('project_plan_agent');
    expect(r.error).toMatch(new RegExp(`^Invalid data for ${type}: .*\\b${field.replace('.', '\\.')}: `));
  });

  it('answers an error for a message type it does not handle', async () => {
    const r = await agent.process({ type: 'assess_risks', data: {} });
    expect(r).toMatchObject({
      status: 'error',
      data: null,
      error: 'Agent project_plan_agent does not handle message type: assess_risks',
    });
  });
});
