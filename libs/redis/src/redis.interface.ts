import type { RedisOptions } from 'ioredis';

/** Per-use settings of one client; anything left out takes the module's defaults. */
export interface RedisClientOverrides {
  /** ioredis `commandTimeout`: a command not answered within this fails (a hung Redis must not hang callers). */
  commandTimeoutMs?: number;
  connectTimeoutMs?: number;
  /** ioredis `enableOfflineQueue` (default false: a command sent while disconnected fails at once). */
  offlineQueue?: boolean;
  /** ioredis `retryStrategy`: the delay before reconnect attempt `times`, or null to stop reconnecting. */
  retryStrategy?: (times: number) => number | null;
  /** Cap of the default retry strategy's exponential delay. */
  reconnectMaxDelayMs?: number;
  /** Any other ioredis option, applied last. */
  redis?: RedisOptions;
}

export interface RedisModuleOptions {
  /**
   * `redis://` or `rediss://` URL of the shared Redis; null or absent when none is configured:
   * then no client is handed out and ioredis is never loaded.
   */
  url?: string | null;
  /** Where the URL is configured, named in error messages (default `broker.redis.url`). */
  urlKey?: string;
  /** Defaults of every client; a client's own overrides win. */
  defaults?: RedisClientOverrides;
}

/** Module-definition extras (known when the module is declared, not from async options). */
export interface RedisModuleExtras {
  /** Make RedisConnections injectable everywhere (default true). */
  isGlobal?: boolean;
  /** Add a `redis` check to /healthz (degraded when a client is down; readiness unaffected). */
  healthCheck?: boolean;
}

/** The state of one handed-out client, as /healthz shows it. */
export interface RedisClientInfo {
  name: string;
  /** ioredis status: connecting, connect, ready, reconnecting, end, ... */
  status: string;
}
