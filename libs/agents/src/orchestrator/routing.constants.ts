export const ORCHESTRATOR_ID = 'orchestrator';
export const WORKFLOW_MESSAGE_TYPE = 'workflow';
export const ORCHESTRATOR_GROUP = 'orchestrator';
export const AGENT_RESPONSE_EVENT = 'agent.response';
export const PENDING_APPROVAL_EVENT = 'governance.pending_approval';
export const APPROVED_EVENT = 'workflow.approved';
export const REJECTED_EVENT = 'workflow.rejected';
export const EXPIRED_EVENT = 'workflow.expired';
export const CANCELLED_EVENT = 'workflow.cancelled';
export const WORKFLOW_COMPLETED_EVENT = 'workflow.completed';
export const WORKFLOW_FAILED_EVENT = 'workflow.failed';
/** The consumer group whose members run approved workflows (one replica takes each). */
export const WORKFLOW_RUNNER_GROUP = 'workflow-runner';
