import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { AgentRegistry } from './agent.registry';
import { GovernanceAgent } from './agents/governance.agent';
import { ProjectPlanAgent } from './agents/project-plan.agent';
import { RiskAssessmentAgent } from './agents/risk-assessment.agent';
import { StatusReporterAgent } from './agents/status-reporter.agent';
import { AgentCountHealthIndicator, AgentsHealthIndicator } from './agents.health';
import { Clock } from './clock.service';
import { OrchestratorService } from './orchestrator/orchestrator.service';

/** The five built-in agents, the registry and the orchestrator. Needs BrokerModule and ConfigModule. */
@Module({
  imports: [DiscoveryModule],
  providers: [
    Clock,
    AgentRegistry,
    OrchestratorService,
    ProjectPlanAgent,
    RiskAssessmentAgent,
    StatusReporterAgent,
    GovernanceAgent,
    AgentsHealthIndicator,
    AgentCountHealthIndicator,
  ],
  exports: [AgentRegistry, OrchestratorService, Clock],
})
export class AgentsModule {}
