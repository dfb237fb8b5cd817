import type { FastifyRequest } from 'fastify';

export interface MetricsModuleOptions {
  /** Collect prom-client's process/runtime defaults (CPU, memory, event loop, GC). Default true. */
  defaultMetrics?: boolean;
  /** Record the HTTP request duration histogram from a Fastify hook. Default true. */
  httpMetrics?: boolean;
  /** Buckets of http_request_duration_seconds, in seconds. */
  httpBuckets?: number[];
  /** Labels added to every series (e.g. { replica: 'a' }); keep them few and fixed. */
  defaultLabels?: Record<string, string>;
  /** The `version` label of mira_build_info (the app passes its package version); default `unknown`. */
  version?: string;
}

/** Seam for protecting GET /metrics (provide it under METRICS_ACCESS_POLICY). */
export interface MetricsAccessPolicy {
  /** true to serve the metrics; false answers 401 (or throw an HttpException of your own). */
  allow(request: FastifyRequest): boolean | Promise<boolean>;
}
