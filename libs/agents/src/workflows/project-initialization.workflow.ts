import { Injectable } from '@nestjs/common';
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
}
