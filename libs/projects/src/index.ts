export { ProjectsError, type ProjectsErrorCode } from './projects.error';
export { TASK_STATUSES, type TaskStatus, type NormalisedTask, type StatusMap } from './task.interface';
export {
  Connector,
  type ConnectorOptions,
  type ProjectSource,
  type SyncContext,
  type SyncCursor,
  type SyncOutcome,
  type TrackerConnector,
  type WebhookChange,
} from './connectors/connector.interface';
export { Sleeper } from './connectors/sleeper';
export {
  TrackerHttpClient,
  nextLink,
  sameOriginUrl,
  type HttpResult,
  type HttpStats,
  type RateLimitInfo,
  type TrackerHttpOptions,
} from './connectors/tracker-http.client';
export { GithubConnector } from './connectors/github/github.connector';
export { JiraConnector } from './connectors/jira/jira.connector';
export { TrelloConnector } from './connectors/trello/trello.connector';
export {
  RoadmappingAgent,
  ROADMAPPING_AGENT_ID,
  KPI_WEIGHTS,
  ebitImpact,
} from './roadmapping/roadmapping.agent';
export { ProjectsModule } from './projects.module';
export { ProjectsService, createProjectSchema, type ProjectDefinition } from './projects.service';
export { ProjectsView, type ProjectView, type SourceView } from './projects.view';
export { SyncService, type SourceSyncResult } from './sync/sync.service';
export { SyncScheduler, SYNC_TICK_MS, SYNC_LEASE_MS } from './sync/sync.scheduler';
export { WebhookSubscriber, PROJECTS_WEBHOOK_GROUP } from './sync/webhook.subscriber';
export { ProjectsStore, type StoredProject, type SyncState, type TaskPage } from './store/projects.store';
export { ProjectsMigrations, PROJECTS_MIGRATIONS } from './store/projects.migrations';
export { ConnectorRegistry } from './connectors/connector.registry';
export { GithubConnectorModule } from './connectors/github/github.module';
export { JiraConnectorModule } from './connectors/jira/jira.module';
export { TrelloConnectorModule } from './connectors/trello/trello.module';
export { projectsConfig, projectsSchema, projectSchema } from './projects.config';
export {
  projectViewSchema,
  projectListSchema,
  taskPageSchema,
  syncResultSchema,
  taskSchema,
} from './projects.schemas';
