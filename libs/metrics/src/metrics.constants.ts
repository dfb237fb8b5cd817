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
 * Names of the series this lib registers itself. Every other series is named by the collector
 * that registers it, in the lib that owns the data (e.g. BrokerMetrics in the broker lib).
 */
export const METRIC_NAMES = {
  httpRequestDuration: 'http_request_duration_seconds',
  /** Counter labelled { reason } (REFUSAL_REASONS): requests the edge turned away. */
  httpRefusals: 'mira_http_refusals_total',
  /** Gauge = 1 labelled { version, node }. */
  buildInfo: 'mira_build_info',
} as const;

/** Why a request was refused: the `reason` label of mira_http_refusals_total (a closed set). */
export const REFUSAL_REASONS = [
  'rate_limited',
  'unauthorized',
  'forbidden',
  'body_too_large',
  'invalid_body',
  'unsupported_media_type',
  'queue_full',
  'broker_unavailable',
  'webhook_signature',
  'webhook_unknown_service',
] as const;
export type RefusalReason = (typeof REFUSAL_REASONS)[number];

/**
 * Status codes the service answers with; any other becomes `other`, so status_code stays bounded
 * even if a plugin answers with an unusual code.
 */
export const KNOWN_STATUS_CODES = [
  200, 201, 202, 204, 301, 302, 304, 400, 401, 403, 404, 405, 406, 409, 413, 415, 422, 429, 500, 502, 503,
  504,
] as const;

/** The exposition route itself: scrapes are not observed in the request histogram. */
export const METRICS_ROUTE = '/metrics';
