import type { AgentResponse } from '../agent.interface';

export interface WorkflowRequest {
  workflow_type: string;
  data: Record<string, unknown>;
  governance_data?: Record<string, unknown> | null;
}

export interface WorkflowStep {
  step: string;
  status: AgentResponse['status'];
  result: unknown;
}

export type WorkflowStatus = 'completed' | 'failed' | 'pending_approval';

export interface WorkflowResult {
  workflow_id: string;
  workflow_type: string;
  status: WorkflowStatus;
  steps: WorkflowStep[];
  governance: Record<string, unknown> | null;
  risk_level: string;
  requires_human_validation: boolean;
}

/** Thrown for a workflow type nobody implements; maps to a 4xx. */
export class UnknownWorkflowError extends Error {
  readonly code = 'WORKFLOW_UNKNOWN_TYPE';
  constructor(
    readonly workflowType: string,
    known: readonly string[],
  ) {
    super(`Unknown workflow type: ${workflowType} (known: ${known.join(', ')})`);
    this.name = 'UnknownWorkflowError';
  }
}
