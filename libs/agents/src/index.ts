export { AgentsModule } from './agents.module';
export { Agent } from './agent.decorator';
export { AgentError, type AgentErrorCode } from './agent.error';
export { AgentRegistry } from './agent.registry';
export { BaseAgent, parseInput, describeIssues, type AgentHandler } from './base.agent';
export { successResponse, errorResponse } from './agent.response';
export { Clock } from './clock.service';
export { OrchestratorService } from './orchestrator/orchestrator.service';
export {
  DEFAULT_ROUTING_RULES,
  ORCHESTRATOR_ID,
  WORKFLOW_MESSAGE_TYPE,
  ORCHESTRATOR_GROUP,
  AGENT_RESPONSE_EVENT,
  PENDING_APPROVAL_EVENT,
} from './orchestrator/routing.constants';
export {
  UnknownWorkflowError,
  type WorkflowRequest,
  type WorkflowResult,
  type WorkflowStep,
  type WorkflowStatus,
} from './orchestrator/workflow.interface';
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
  MiraAgent,
  RegisteredAgent,
  RouteFailure,
  RoutedResponse,
} from './agent.interface';
export { AgentsHealthIndicator, AgentCountHealthIndicator } from './agents.health';
