import { Injectable } from '@nestjs/common';
import { z } from 'zod';
import { Agent } from '../agent.decorator';
import { BaseAgent, parseInput } from '../base.agent';
import { AGENT_INPUT_LIMITS, list, text } from './input-limits';

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
      summary: 'The plan with `updates` merged in at top level (nested values replaced, not merged)',
      input: updatePlanSchema,
      output: anyObject,
      example: { plan: { name: 'Apollo', duration_weeks: 12 }, updates: { duration_weeks: 16 } },
    },
  },
})
export class ProjectPlanAgent extends BaseAgent {
  protected readonly handlers = {
    generate_plan: (data: unknown) => this.generatePlan(data),
    update_plan: (data: unknown) => this.updatePlan(data),
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

  updatePlan(data: unknown): Record<string, unknown> {
    const { plan, updates } = parseInput(updatePlanSchema, data, 'update_plan');
    return { ...plan, ...updates };
  }
}
