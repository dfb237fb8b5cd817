/**
 * Optional: a MetricsAccessPolicy deciding who may read GET /metrics (the edge-security module
 * provides one when `api.protect_metrics` is on). Without it /metrics is open.
 */
export const METRICS_ACCESS_POLICY = Symbol('mira:METRICS_ACCESS_POLICY');

/** Label value for anything outside a known, bounded set (unknown message types, unmatched routes). */
export const OTHER_LABEL = 'other';

/** Route label of requests no route matched (404s): raw URLs never become label values. */
export const UNMATCHED_ROUTE = 'unmatched';

/**
 * Names of the series the service exposes. Other libs register theirs through
 * MetricsService's get-or-create helpers under these names so that the catalogue stays in one place.
 */
export const METRIC_NAMES = {
  httpRequestDuration: 'http_request_duration_seconds',
  brokerPublished: 'mira_broker_messages_published_total',
  brokerDelivered: 'mira_broker_messages_delivered_total',
  brokerFailed: 'mira_broker_messages_failed_total',
  brokerHandlerDuration: 'mira_broker_handler_duration_seconds',
  brokerQueueDepth: 'mira_broker_queue_depth',
  brokerInFlight: 'mira_broker_in_flight',
  brokerDropped: 'mira_broker_messages_dropped',
  agentProcessingDuration: 'mira_agent_processing_duration_seconds',
  workflows: 'mira_workflows_total',
  configReloads: 'mira_config_reloads_total',
  /** For the secrets module: counter labelled { backend, result: ok | failed }. */
  secretsRefresh: 'mira_secrets_refresh_total',
  /** For the secrets module: gauge, unix seconds of the last successful refresh, labelled { backend }. */
  secretsLastRefresh: 'mira_secrets_last_refresh_timestamp_seconds',
} as const;
