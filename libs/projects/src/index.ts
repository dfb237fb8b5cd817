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
  type HttpResult,
  type HttpStats,
  type RateLimitInfo,
  type TrackerHttpOptions,
} from './connectors/tracker-http.client';
export { GithubConnector } from './connectors/github/github.connector';
export { JiraConnector } from './connectors/jira/jira.connector';
export { TrelloConnector } from './connectors/trello/trello.connector';
export { RoadmappingAgent, ROADMAPPING_AGENT_ID, KPI_WEIGHTS, ebitImpact } from './roadmapping/roadmapping.agent';
