export type HealthStatus = 'healthy' | 'degraded' | 'unhealthy';

/** One indicator's answer: a value, never a thrown error. Extra keys are details. */
export interface HealthIndicatorResult {
  status: HealthStatus;
  reason?: string | null;
  [detail: string]: unknown;
}

/** A scalar (e.g. `agent_count: 5`) is reported as-is and does not affect the status. */
export type HealthCheckValue = HealthIndicatorResult | number | string | boolean;

export interface HealthContributor {
  check(): HealthCheckValue | Promise<HealthCheckValue>;
}

export interface HealthIndicatorOptions {
  /** Key under `checks` in /healthz. */
  name: string;
  /** When true (default), an unhealthy result also fails readiness. */
  readiness?: boolean;
}

export interface HealthReport {
  status: HealthStatus;
  checks: Record<string, HealthCheckValue>;
}

/** GET /healthz: the indicators plus the process's own state. */
export interface FullHealthReport extends HealthReport {
  /** Initialisation finished (startup tasks included). */
  started: boolean;
  /** The shutdown sequence has begun: readiness answers 503. */
  shutting_down: boolean;
  event_loop_lag_ms: number;
  uptime_s: number;
}

/** Where the process is in its life, as the probes see it. */
export interface HealthLifecycle {
  started: boolean;
  shutting_down: boolean;
  /** Startup tasks still running. */
  pending: string[];
  /** Startup tasks that failed (startup stays incomplete). */
  failed: string[];
}

export interface HealthModuleOptions {
  /** Per-indicator time limit; a slower indicator is reported unhealthy (timeout). */
  indicatorTimeoutMs?: number;
  /** Results are cached this long so probes cannot hammer dependencies (0 = no cache). */
  cacheTtlMs?: number;
  /** Liveness fails when the event loop lags more than this (`health.event_loop_max_lag_ms`, default 1000). */
  eventLoopMaxLagMs?: number;
}

/** The health endpoints: `full` is `/healthz`, the others `/healthz/<name>`. */
export type ProbeName = 'full' | 'live' | 'ready' | 'startup';

/** What a health endpoint answers; health results are values, never thrown errors. */
export interface ProbeAnswer {
  statusCode: 200 | 503;
  body: unknown;
}
