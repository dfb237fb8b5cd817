import { Injectable } from '@nestjs/common';
import type { WorkflowSummaryField } from '@mira/state';
import { Workflow } from './workflow.decorator';
import type { WorkflowDefinition, WorkflowStepDefinition } from './workflow.interface';

export const PROJECT_INITIALIZATION = 'project_initialization';

/** generate_plan(data) -> assess_risks(plan) -> generate_report(plan + risks). */
@Injectable()
@Workflow({ type: PROJECT_INITIALIZATION, description: 'Plan, assess risks and report on a new project' })
export class ProjectInitializationWorkflow implements WorkflowDefinition {
  readonly steps: readonly WorkflowStepDefinition[] = [
    { step: 'generate_plan', input: ({ data }) => ({ ...data }) },
    { step: 'assess_risks', input: ({ results }) => results.generate_plan },
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
