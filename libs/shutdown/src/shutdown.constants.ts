/** Lowest and highest allowed hook priority (lower runs first). */
export const MIN_SHUTDOWN_PRIORITY = 0;
export const MAX_SHUTDOWN_PRIORITY = 100;

/**
 * The bands of DESIGN.md and where the built-in steps sit in them: 0-9 stop intake,
 * 10-19 connections, 20-29 caches and temp files, 30+ metrics and logger flush.
 */
export const SHUTDOWN_PRIORITY = {
  /** Readiness answers 503 first, so load balancers start moving traffic away. */
  READINESS: 0,
  /** Wait `shutdown.drain_delay_ms` while endpoint removal propagates. */
  DRAIN_DELAY: 1,
  /** Stop accepting connections, finish in-flight requests, close idle keep-alive sockets. */
  HTTP_SERVER: 2,
  /** Stop broker intake and let in-flight handlers finish. */
  BROKER: 5,
  /** Agents finishing their own background work. */
  AGENTS: 8,
  CONNECTIONS: 10,
  CACHES: 20,
  METRICS: 30,
  /** Nest's own lifecycle (onModuleDestroy / onApplicationShutdown) as the last cleanup. */
  NEST_APPLICATION: 90,
  /** The logger is flushed last. */
  LOGGER: 100,
} as const;

export const SHUTDOWN_SIGNALS: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT'];
