export type WorkflowErrorCode =
  | 'WORKFLOW_UNKNOWN_TYPE'
  | 'WORKFLOW_DISABLED'
  | 'WORKFLOW_INVALID_INPUT'
  | 'WORKFLOW_NOT_FOUND'
  | 'WORKFLOW_CONFLICT'
  | 'WORKFLOW_ALREADY_EXISTS'
  | 'WORKFLOW_FORBIDDEN'
  | 'WORKFLOW_IDEMPOTENCY_MISMATCH'
  | 'WORKFLOW_DEFINITION_INVALID';

/** A workflow request or decision that cannot be carried out; `code` maps onto an HTTP status. */
export class WorkflowError extends Error {
  constructor(
    readonly code: WorkflowErrorCode,
    message: string,
    /** For conflicts: the status the workflow is in now. */
    readonly currentStatus?: string,
  ) {
    super(message);
    this.name = 'WorkflowError';
  }
}

/** Thrown for a workflow type nobody implements; maps to a 4xx. */
export class UnknownWorkflowError extends WorkflowError {
  constructor(
    readonly workflowType: string,
    known: readonly string[],
  ) {
    super('WORKFLOW_UNKNOWN_TYPE', `Unknown workflow type: ${workflowType} (known: ${known.join(', ')})`);
    this.name = 'UnknownWorkflowError';
  }
}

/** The type's kill switch is off for this caller (flag `workflow.<type>.enabled`); maps to a 404. */
export class WorkflowDisabledError extends WorkflowError {
  constructor(readonly workflowType: string) {
    super(
      'WORKFLOW_DISABLED',
      `Workflow type ${workflowType} is turned off (flag workflow.${workflowType}.enabled)`,
    );
    this.name = 'WorkflowDisabledError';
  }
}
