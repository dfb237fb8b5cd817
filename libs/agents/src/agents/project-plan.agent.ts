import { Inject, Injectable, Optional } from '@nestjs/common';
import { z } from 'zod';
import { Agent } from '../agent.decorator';
import { BaseAgent, parseInput } from '../base.agent';
import { AGENT_INPUT_LIMITS, list, text } from './input-limits';
import { PROJECT_DATA, withProjectData, type ProjectData, type ProjectDataSource } from './project-data';

export const PROJECT_PLAN_AGENT_ID = 'project_plan_agent';

const generatePlanSchema = z.looseObject({
  name: text(AGENT_INPUT_LIMITS.name_chars).default('Unnamed Project'),
  description: text(AGENT_INPUT_LIMITS.description_chars).default(''),
  goals: list(text(AGENT_INPUT_LIMITS.goal_chars), AGENT_INPUT_LIMITS.goals).default([]),
  duration_weeks: z.number().int().min(0).max(AGENT_INPUT_LIMITS.duration_weeks).default(12),
});

const updatePlanSchema = z.looseObject({
  plan: z.record(z.string(), z.unknown()),
  updates: z.record(z.string(), z.unknown()),
  project: z
    .string()
    .min(1)
    .max(AGENT_INPUT_LIMITS.name_chars)
    .optional()
    .describe("A project's name: the plan's tasks become its stored tasks (before `updates`)"),
});

const milestoneSchema = z.object({
  id: z.string(),
  name: z.string(),
  week: z.number().int(),
  deliverables: z.array(z.string()),
  status: z.string(),
});
const planTaskSchema = z.object({
  id: z.string(),
  milestone_id: z.string(),
  name: z.string(),
  status: z.string(),
  priority: z.string(),
  estimated_hours: z.number(),
});
const projectPlanSchema = z.object({
  name: z.string(),
  description: z.string(),
  duration_weeks: z.number().int(),
  milestones: z.array(milestoneSchema),
  tasks: z.array(planTaskSchema),
  created_by: z.string(),
});
const anyObject = z.record(z.string(), z.unknown());

export interface Milestone {
  id: string;
  name: string;
  week: number;
  deliverables: string[];
  status: string;
}

export interface PlanTask {
  id: string;
  milestone_id: string;
  name: string;
  status: string;
  priority: string;
  estimated_hours: number;
}

export interface ProjectPlan {
  name: string;
  description: string;
  duration_weeks: number;
  milestones: Milestone[];
  tasks: PlanTask[];
  created_by: string;
}

@Injectable()
@Agent({
  id: PROJECT_PLAN_AGENT_ID,
  messageTypes: ['generate_plan', 'update_plan'],
  description: 'Builds and updates project plans',
  schemas: {
    generate_plan: {
      summary:
        'A plan with one milestone per goal, spread over duration_weeks, and three tasks per milestone',
      input: generatePlanSchema,
      output: projectPlanSchema,
      example: {
        name: 'Apollo',
        description: 'Ship the new billing service',
        goals: ['Design', 'Build', 'Launch'],
        duration_weeks: 12,
      },
    },
    update_plan: {
      summary:
        'The plan with `updates` merged in at top level (nested values replaced, not merged); with `project`, ' +
        "the plan's tasks are first replaced by the project's stored tasks and `project_sources` tells their freshness",
      input: updatePlanSchema,
      output: anyObject,
      example: { plan: { name: 'Apollo', duration_weeks: 12 }, updates: { duration_weeks: 16 } },
    },
  },
})
export class ProjectPlanAgent extends BaseAgent {
  constructor(@Optional() @Inject(PROJECT_DATA) private readonly projects?: ProjectDataSource) {
    super();
  }

  protected readonly handlers = {
    generate_plan: (data: unknown) => this.generatePlan(data),
    update_plan: async (data: unknown) => {
      const { project } = await withProjectData(this.projects, data, 'update_plan');
      return this.updatePlan(data, project);
    },
  };

  generatePlan(data: unknown): ProjectPlan {
    const { name, description, goals, duration_weeks } = parseInput(
      generatePlanSchema,
      data,
      'generate_plan',
    );
    const milestones: Milestone[] = goals.map((goal, index) => {
      const i = index + 1;
      return {
        id: `M${i}`,
        name: goal,
        week: Math.floor((i * duration_weeks) / goals.length),
        deliverables: [`Deliverable for ${goal}`],
        status: 'not_started',
      };
    });
    const tasks: PlanTask[] = milestones.flatMap((m) =>
      [1, 2, 3].map((j) => ({
        id: `${m.id}-T${j}`,
        milestone_id: m.id,
        name: `Task ${j} for ${m.name}`,
        status: 'not_started',
        priority: 'medium',
        estimated_hours: 8,
      })),
    );
    return { name, description, duration_weeks, milestones, tasks, created_by: this.id };
  }

  /**
   * With a project, the plan's tasks are the project's stored tasks (the tracker is the truth of
   * what exists and its status); a plan task of the same name keeps its id, milestone, priority and
   * estimate. `updates` still apply last, so a caller can override anything.
   */
  updatePlan(data: unknown, project: ProjectData | null = null): Record<string, unknown> {
    const { plan, updates } = parseInput(updatePlanSchema, data, 'update_plan');
    if (!project) return { ...plan, ...updates };
    const planned = new Map<string, Partial<PlanTask>>();
    for (const t of Array.isArray(plan.tasks) ? (plan.tasks as Partial<PlanTask>[]) : [])
      if (t && typeof t.name === 'string') planned.set(t.name, t);
    const tasks = project.tasks.map((t) => {
      const before = planned.get(t.name);
      return {
        id: before?.id ?? `${String(t.source)}:${String(t.external_id)}`,
        milestone_id: before?.milestone_id ?? null,
        name: t.name,
        status: t.status,
        priority: before?.priority ?? 'medium',
        estimated_hours: before?.estimated_hours ?? 8,
        ...(t.url ? { url: t.url } : {}),
      };
    });
    return { ...plan, tasks, project_sources: project.sources, ...updates };
  }
}
