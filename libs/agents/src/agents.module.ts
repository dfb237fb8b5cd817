import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { MessageTypeLabels } from '@mira/broker';
import { metricsCollector } from '@mira/metrics';
import { AgentMetrics } from './agent.metrics';
import { AgentRegistry } from './agent.registry';
import { GovernanceAgent } from './agents/governance.agent';
import { ProjectPlanAgent } from './agents/project-plan.agent';
import { RiskAssessmentAgent } from './agents/risk-assessment.agent';
import { StatusReporterAgent } from './agents/status-reporter.agent';
import { AgentCountHealthIndicator, AgentsHealthIndicator } from './agents.health';
import { Clock } from './clock.service';
import { ReportSchedules } from './report-schedules.service';
import { OrchestratorConsumer } from './orchestrator/orchestrator.consumer';
import { OrchestratorService } from './orchestrator/orchestrator.service';
import { ApprovalMetrics } from './workflows/approval.metrics';
import { ApprovalService } from './workflows/approval.service';
import { ApprovalRebinding } from './workflows/approval.rebinding';
import { ProjectInitializationWorkflow } from './workflows/project-initialization.workflow';
import { GovernanceGate } from './workflows/governance.gate';
import { WorkflowEngine } from './workflows/workflow.engine';
import { WorkflowJournal } from './workflows/workflow.journal';
import { WorkflowLease } from './workflows/workflow.lease';
import { WorkflowFlags } from './workflows/workflow.flags';
import { WorkflowRegistry } from './workflows/workflow.registry';
import { WorkflowSweeper } from './workflows/workflow.sweeper';
import { ConfigModule } from '@mira/config';
import { GovernanceAuditAnchor } from './governance.audit-anchor';
import { GovernanceAuditKeys } from './governance.audit-key';
import { agentsConfig, governanceConfig } from './agents.config';

/**
 * The built-in agents and workflows, their registries, the orchestrator with its broker consumer,
 * and the workflow engine with its approvals. Needs BrokerModule (also for MessageTypeLabels),
 * ConfigModule and StateModule; its series go into MetricsService when the app has one.
 */
@Module({
  imports: [
    DiscoveryModule,
    ConfigModule.forFeature(agentsConfig),
    ConfigModule.forFeature(governanceConfig),
  ],
  providers: [
    Clock,
    ReportSchedules,
    AgentRegistry,
    metricsCollector(AgentMetrics, [MessageTypeLabels]),
    OrchestratorService,
    OrchestratorConsumer,
    ProjectPlanAgent,
    RiskAssessmentAgent,
    StatusReporterAgent,
    GovernanceAgent,
    AgentsHealthIndicator,
    AgentCountHealthIndicator,
    WorkflowRegistry,
    WorkflowJournal,
    GovernanceGate,
    ApprovalRebinding,
    WorkflowLease,
    WorkflowFlags,
    WorkflowEngine,
    ApprovalMetrics,
    ApprovalService,
    WorkflowSweeper,
    ProjectInitializationWorkflow,
    GovernanceAuditKeys,
    GovernanceAuditAnchor,
  ],
  exports: [
    GovernanceAuditKeys,
    GovernanceAuditAnchor,
    AgentRegistry,
    OrchestratorService,
    Clock,
    WorkflowRegistry,
    WorkflowJournal,
    WorkflowEngine,
    ApprovalService,
    ReportSchedules,
  ],
})
export class AgentsModule {}
