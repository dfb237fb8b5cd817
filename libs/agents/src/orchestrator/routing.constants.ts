/** The routing table of DOMAIN.md; agents add their own types through @Agent({ messageTypes }). */
export const DEFAULT_ROUTING_RULES: Readonly<Record<string, string>> = {
  generate_plan: 'project_plan_agent',
  update_plan: 'project_plan_agent',
  assess_risks: 'risk_assessment_agent',
  update_risk: 'risk_assessment_agent',
  generate_report: 'status_reporter_agent',
  schedule_report: 'status_reporter_agent',
  assess_governance: 'governance_agent',
  check_human_validation: 'governance_agent',
};

export const ORCHESTRATOR_ID = 'orchestrator';
export const WORKFLOW_MESSAGE_TYPE = 'workflow';
export const ORCHESTRATOR_GROUP = 'orchestrator';
export const AGENT_RESPONSE_EVENT = 'agent.response';
export const PENDING_APPROVAL_EVENT = 'governance.pending_approval';
