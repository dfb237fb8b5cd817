import { Inject, Injectable, Optional } from '@nestjs/common';
import { FlagsService } from '@mira/flags';
import { z } from 'zod';
import { Agent } from '../agent.decorator';
import { BaseAgent, parseInput } from '../base.agent';
import { AGENT_INPUT_LIMITS, list, text } from './input-limits';
import { PROJECT_DATA, withProjectData, type ProjectDataSource } from './project-data';

export const RISK_ASSESSMENT_AGENT_ID = 'risk_assessment_agent';

export type Severity = 'low' | 'medium' | 'high';

export interface RiskPattern {
  category: string;
  pattern: string;
  keywords: readonly string[];
  severity: Severity;
  mitigation: string;
}

export const RISK_PATTERNS: readonly RiskPattern[] = [
  {
    category: 'schedule',
    pattern: 'tight_deadline',
    keywords: ['urgent', 'asap', 'short timeline'],
    severity: 'high',
    mitigation: 'Add buffer time, reduce scope, or increase resources',
  },
  {
    category: 'technical',
    pattern: 'new_technology',
    keywords: ['new', 'unfamiliar', 'learning'],
    severity: 'medium',
    mitigation: 'Allocate time for training and proof-of-concept',
  },
  {
    category: 'resource',
    pattern: 'limited_resources',
    keywords: ['limited', 'insufficient', 'lack of'],
    severity: 'high',
    mitigation: 'Secure additional resources or adjust project scope',
  },
  {
    category: 'dependency',
    pattern: 'external_dependency',
    keywords: ['depends on', 'waiting for', 'third party'],
    severity: 'medium',
    mitigation: 'Establish clear SLAs and backup plans',
  },
];

export const SEVERITY_POINTS: Readonly<Record<Severity, number>> = { low: 1, medium: 2, high: 3 };

export interface Risk {
  id: string;
  category: string;
  pattern: string;
  severity: Severity;
  description: string;
  mitigation: string;
  status: string;
}

export interface RiskAssessment {
  project_name: string;
  risk_score: number;
  total_risks: number;
  risks: Risk[];
  assessed_by: string;
  /** Which rules ran (flag agent.risk_assessment.rules), when the flag is defined. */
  rules?: RiskRules;
}

/** v1: the reference's substring keyword match. v2: whole words only ("new" no longer matches "renewal"), and the description names the keyword found. */
export type RiskRules = 'v1' | 'v2';
export const RISK_RULES_FLAG = 'agent.risk_assessment.rules';

const wordMatch = (text: string, keyword: string): boolean =>
  new RegExp(`(^|[^a-z0-9])${keyword.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}($|[^a-z0-9])`).test(text);

const assessSchema = z.looseObject({
  // A stored project (@mira/projects): its tasks stand in for `tasks`.
  project: text(AGENT_INPUT_LIMITS.name_chars).optional(),
  name: text(AGENT_INPUT_LIMITS.name_chars).default('Unknown Project'),
  description: text(AGENT_INPUT_LIMITS.description_chars).default(''),
  tasks: list(z.unknown(), AGENT_INPUT_LIMITS.tasks).default([]),
  duration_weeks: z.number().min(0).max(AGENT_INPUT_LIMITS.duration_weeks).default(12),
  // Chosen by a workflow that pinned agent.risk_assessment.rules on its record; else the flag decides.
  rules: z.enum(['v1', 'v2']).optional(),
});

const updateRiskSchema = z.looseObject({
  risk: z.record(z.string(), z.unknown()),
  updates: z.record(z.string(), z.unknown()),
});

const riskSchema = z.object({
  id: z.string(),
  category: z.string(),
  pattern: z.string(),
  severity: z.enum(['low', 'medium', 'high']),
  description: z.string(),
  mitigation: z.string(),
  status: z.string(),
});
const riskAssessmentSchema = z.object({
  project_name: z.string(),
  risk_score: z.number().min(0).max(100),
  total_risks: z.number().int(),
  risks: z.array(riskSchema),
  assessed_by: z.string(),
  rules: z.enum(['v1', 'v2']).optional(),
});

export function round2(x: number): number {
  return Math.round((x + Number.EPSILON) * 100) / 100;
}

@Injectable()
@Agent({
  id: RISK_ASSESSMENT_AGENT_ID,
  messageTypes: ['assess_risks', 'update_risk'],
  description: 'Finds schedule, technical, resource and dependency risks',
  schemas: {
    assess_risks: {
      summary: 'Risks found by keywords in the description, and task density over the duration',
      input: assessSchema,
      output: riskAssessmentSchema,
      example: {
        name: 'Apollo',
        description: 'Urgent migration that depends on a third party API',
        tasks: [],
        duration_weeks: 8,
      },
    },
    update_risk: {
      summary: 'The risk with `updates` merged in at top level',
      input: updateRiskSchema,
      output: z.record(z.string(), z.unknown()),
      example: { risk: { id: 'R1', status: 'identified' }, updates: { status: 'mitigated' } },
    },
  },
})
export class RiskAssessmentAgent extends BaseAgent {
  constructor(
    @Optional() @Inject(PROJECT_DATA) private readonly projects?: ProjectDataSource,
    @Optional() private readonly flags?: FlagsService,
  ) {
    super();
  }

  protected readonly handlers = {
    assess_risks: async (data: unknown) =>
      this.assessRisks((await withProjectData(this.projects, data, 'assess_risks')).data),
    update_risk: (data: unknown) => this.updateRisk(data),
  };

  assessRisks(data: unknown): RiskAssessment {
    const input = parseInput(assessSchema, data, 'assess_risks');
    const { name, description, tasks, duration_weeks } = input;
    const text = description.toLowerCase();
    // Rolled out per project: the project's name is the targeting key, so a project keeps its rules.
    const defined = input.rules !== undefined || this.flags?.isDefined(RISK_RULES_FLAG) === true;
    const rules: RiskRules =
      input.rules ??
      (defined &&
      this.flags?.variant<string>(RISK_RULES_FLAG, 'v1', { targetingKey: name, project: name }).value === 'v2'
        ? 'v2'
        : 'v1');
    const risks: Risk[] = [];
    for (const p of RISK_PATTERNS) {
      const found = p.keywords.find((k) => (rules === 'v2' ? wordMatch(text, k) : text.includes(k)));
      if (found === undefined) continue;
      risks.push({
        id: `R${risks.length + 1}`,
        category: p.category,
        pattern: p.pattern,
        severity: p.severity,
        description:
          rules === 'v2'
            ? `Potential ${p.category} risk detected ("${found}")`
            : `Potential ${p.category} risk detected`,
        mitigation: p.mitigation,
        status: 'identified',
      });
    }
    if (tasks.length > 0 && duration_weeks > 0) {
      const perWeek = tasks.length / duration_weeks;
      if (perWeek > 5) {
        risks.push({
          id: `R${risks.length + 1}`,
          category: 'schedule',
          pattern: 'high_task_density',
          severity: 'high',
          description: `High task density: ${perWeek.toFixed(1)} tasks per week`,
          mitigation: 'Consider extending timeline or adding resources',
          status: 'identified',
        });
      }
    }
    const points = risks.reduce((sum, r) => sum + SEVERITY_POINTS[r.severity], 0);
    const risk_score = risks.length ? round2((points / (3 * risks.length)) * 100) : 0;
    const out: RiskAssessment = {
      project_name: name,
      risk_score,
      total_risks: risks.length,
      risks,
      assessed_by: this.id,
    };
    return defined ? { ...out, rules } : out;
  }

  updateRisk(data: unknown): Record<string, unknown> {
    const { risk, updates } = parseInput(updateRiskSchema, data, 'update_risk');
    return { ...risk, ...updates };
  }
}
