export { AgentsModule } from './agents.module';
export { Agent } from './agent.decorator';
export { AgentError, type AgentErrorCode } from './agent.error';
export { AgentRegistry } from './agent.registry';
export { BaseAgent, parseInput, describeIssues, type AgentHandler } from './base.agent';
export { successResponse, errorResponse } from './agent.response';
export { Clock } from './clock.service';
export {
  ReportSchedules,
  type ReportScheduleCreator,
  type ReportScheduleRequest,
} from './report-schedules.service';
export {
  OrchestratorService,
  type RouteOptions,
  type RoutingRuleListener,
  type WorkflowRunner,
} from './orchestrator/orchestrator.service';
export {
  ORCHESTRATOR_ID,
  WORKFLOW_MESSAGE_TYPE,
  ORCHESTRATOR_GROUP,
  AGENT_RESPONSE_EVENT,
  PENDING_APPROVAL_EVENT,
  APPROVED_EVENT,
  REJECTED_EVENT,
  EXPIRED_EVENT,
  CANCELLED_EVENT,
  WORKFLOW_COMPLETED_EVENT,
  WORKFLOW_FAILED_EVENT,
  WORKFLOW_RUNNER_GROUP,
} from './orchestrator/routing.constants';
export { Workflow } from './workflows/workflow.decorator';
export { WorkflowRegistry } from './workflows/workflow.registry';
export { WorkflowEngine, type SubmitOptions, type SubmitResult } from './workflows/workflow.engine';
export { WorkflowJournal, SYSTEM_ACTOR, type JournalEntry } from './workflows/workflow.journal';
export { ApprovalService, WORKFLOW_DECIDED_EVENT, type DecisionInput } from './workflows/approval.service';
export { workflowView, workflowSummary } from './workflows/workflow.view';
export {
  WorkflowError,
  UnknownWorkflowError,
  WorkflowDisabledError,
  type WorkflowErrorCode,
} from './workflows/workflow.error';
export {
  governanceDataSchema,
  COMPLIANCE_LEVELS,
  WORKFLOW_ID_PATTERN,
} from './workflows/governance-data.schema';
export {
  ProjectInitializationWorkflow,
  PROJECT_INITIALIZATION,
} from './workflows/project-initialization.workflow';
export { FINAL_STATUSES, OUTCOME_EVENTS, countApprovals } from './workflows/workflow.lifecycle';
export {
  WORKFLOW_STATUSES,
  type Actor,
  type WorkflowDefinition,
  type WorkflowOptions,
  type WorkflowRequest,
  type WorkflowResult,
  type WorkflowStep,
  type WorkflowStepContext,
  type WorkflowStepDefinition,
  type WorkflowStepFlag,
  type WorkflowStepFlagValue,
  type WorkflowStatus,
  type WorkflowView,
  type WorkflowSummary,
} from './workflows/workflow.interface';
export { ProjectPlanAgent, PROJECT_PLAN_AGENT_ID } from './agents/project-plan.agent';
export { RiskAssessmentAgent, RISK_ASSESSMENT_AGENT_ID, RISK_PATTERNS } from './agents/risk-assessment.agent';
export { StatusReporterAgent, STATUS_REPORTER_AGENT_ID } from './agents/status-reporter.agent';
export { AGENT_INPUT_LIMITS } from './agents/input-limits';
export { GovernanceAgent, GOVERNANCE_AGENT_ID, type GovernanceAssessment } from './agents/governance.agent';
export type {
  AgentMessage,
  AgentResponse,
  AgentStatus,
  AgentOptions,
  AgentMessageSchema,
  MiraAgent,
  RegisteredAgent,
  RouteFailureCode,
  RouteResult,
} from './agent.interface';
export { AgentsHealthIndicator, AgentCountHealthIndicator } from './agents.health';
export { AgentMetrics, type AgentOutcome } from './agent.metrics';
export { agentsConfig, governanceConfig, agentsSchema, governanceSchema } from './agents.config';
export {
  PROJECT_DATA,
  withProjectData,
  type ProjectData,
  type ProjectDataSource,
  type ProjectSourceFreshness,
} from './agents/project-data';
export {
  governancePolicySchema,
  governancePolicyFor,
  BUILT_IN_DEFAULT_POLICY,
  DEFAULT_GOVERNANCE_POLICY_NAME,
  type GovernancePolicy,
} from './governance.policy';
export { GovernanceAuditKeys, DEVELOPMENT_AUDIT_KEY, type AuditKey } from './governance.audit-key';
export { GovernanceAuditAnchor } from './governance.audit-anchor';
