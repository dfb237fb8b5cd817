import { Global, Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { ConfigModule } from '@mira/config';
import { metricsCollector } from '@mira/metrics';
import { PROJECT_DATA } from '@mira/agents';
import { ProjectDataAdapter } from './project-data.adapter';
import { ConnectorRegistry } from './connectors/connector.registry';
import { GithubConnectorModule } from './connectors/github/github.module';
import { JiraConnectorModule } from './connectors/jira/jira.module';
import { TrelloConnectorModule } from './connectors/trello/trello.module';
import { Sleeper } from './connectors/sleeper';
import { projectsConfig } from './projects.config';
import { ProjectsHealth } from './projects.health';
import { ProjectsMetrics } from './projects.metrics';
import { ProjectsService } from './projects.service';
import { ProjectsView } from './projects.view';
import { RoadmappingAgent } from './roadmapping/roadmapping.agent';
import { ProjectsMigrations } from './store/projects.migrations';
import { ProjectsBootstrap } from './projects.bootstrap';
import { SyncScheduler } from './sync/sync.scheduler';
import { SyncService } from './sync/sync.service';
import { WebhookSubscriber } from './sync/webhook.subscriber';

/**
 * Projects and their tasks: connectors (one module each), sync (on demand, periodic, by webhook),
 * the state-store tables, health and metrics; and the roadmapping agent. Needs ConfigModule,
 * StateModule and BrokerModule; global so agents can read project data.
 */
@Global()
@Module({
  imports: [
    DiscoveryModule,
    ConfigModule.forFeature(projectsConfig),
    GithubConnectorModule,
    JiraConnectorModule,
    TrelloConnectorModule,
  ],
  providers: [
    Sleeper,
    ConnectorRegistry,
    ProjectsMigrations,
    ProjectsService,
    ProjectsView,
    SyncService,
    SyncScheduler,
    WebhookSubscriber,
    ProjectsHealth,
    ProjectsBootstrap,
    metricsCollector(ProjectsMetrics),
    RoadmappingAgent,
    ProjectDataAdapter,
    { provide: PROJECT_DATA, useExisting: ProjectDataAdapter },
  ],
  exports: [
    PROJECT_DATA,
    ProjectsService,
    ProjectsView,
    SyncService,
    SyncScheduler,
    WebhookSubscriber,
    Sleeper,
  ],
})
export class ProjectsModule {}
