import { Injectable } from '@nestjs/common';
import type { WorkflowSummaryField } from '@mira/state';
import { Workflow } from './workflow.decorator';
import { RISK_RULES_FLAG } from '../agents/risk-assessment.agent';
import type { WorkflowDefinition, WorkflowStepDefinition, WorkflowStepFlagValue } from './workflow.interface';

export const PROJECT_INITIALIZATION = 'project_initialization';

/**
 * generate_plan(data) -> assess_risks(plan) -> generate_report(plan + risks). assess_risks asks
 * agent.risk_assessment.rules (v1/v2) for this workflow: the variant is pinned on the record, so
 * a run approved after the rollout moved still assesses with the rules it was started under.
 */
@Injectable()
@Workflow({ type: PROJECT_INITIALIZATION, description: 'Plan, assess risks and report on a new project' })
export class ProjectInitializationWorkflow implements WorkflowDefinition {
  readonly steps: readonly WorkflowStepDefinition[] = [
    { step: 'generate_plan', input: ({ data }) => ({ ...data }) },
    {
      step: 'assess_risks',
      flag: { key: RISK_RULES_FLAG, fallback: 'v1' },
      input: ({ results, flags }) => ({
        ...results.generate_plan,
        ...rulesOf(flags?.[RISK_RULES_FLAG]),
      }),
    },
    {
      step: 'generate_report',
      input: ({ results }) => ({ ...results.generate_plan, risks: results.assess_risks.risks ?? [] }),
    },
  ];

  title(data: Readonly<Record<string, unknown>>): string {
    const name = typeof data.name === 'string' && data.name.trim() ? data.name.trim() : 'Unnamed Project';
    return name;
  }

  /** Project name, goal count, duration and (when given) budget, as generate_plan reads them. */
  summary(data: Readonly<Record<string, unknown>>): WorkflowSummaryField[] {
    const goals = Array.isArray(data.goals) ? data.goals.length : 0;
    const weeks = typeof data.duration_weeks === 'number' ? data.duration_weeks : 12;
    const fields: WorkflowSummaryField[] = [
      { label: 'Project', value: this.title(data) },
      { label: 'Goals', value: goals },
      { label: 'Duration', value: weeks, unit: 'weeks' },
    ];
    const budget = data.budget;
    if (typeof budget === 'number' && Number.isFinite(budget))
      fields.push({ label: 'Budget', value: budget, unit: currencyOf(data.currency) });
    return fields;
  }
}

/** An ISO 4217 code from the data, else USD (the governance thresholds are in dollars). */
function currencyOf(value: unknown): string {
  return typeof value === 'string' && /^[A-Za-z]{3}$/.test(value) ? value.toUpperCase() : 'USD';
}

/** `{ rules }` when the flag is defined (an undefined flag leaves the agent's output as before). */
function rulesOf(flag: WorkflowStepFlagValue | undefined): { rules?: 'v1' | 'v2' } {
  if (flag?.variant === undefined) return {};
  return { rules: flag.value === 'v2' ? 'v2' : 'v1' };
}
