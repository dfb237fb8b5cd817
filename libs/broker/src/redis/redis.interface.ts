import type { BrokerContextPropagator, BrokerObserver, BrokerStats } from '../broker.interface';

/** Lag / pending counts above these report degraded or unhealthy; 0 disables a threshold. */
export interface RedisHealthThresholds {
  lagDegraded: number;
  lagUnhealthy: number;
  pendingDegraded: number;
  pendingUnhealthy: number;
}

export interface RedisTransportOptions {
  url: string;
  /** Stream key of type T is `<streamPrefix><T>`; the dead-letter stream is `<streamPrefix>dead-letter`. */
  streamPrefix: string;
  /** Entries idle (unacknowledged) longer than this are reclaimed from their consumer (XAUTOCLAIM). */
  visibilityTimeoutMs: number;
  /** Approximate stream length kept (XADD MAXLEN ~). */
  maxlen: number;
  blockMs: number;
  batchSize: number;
  /** Read, not yet acknowledged messages held per subscription (running, retrying or being acked). */
  maxInFlight: number;
  /** Handler runs before a message is dead-lettered. */
  maxAttempts: number;
  commandTimeoutMs: number;
  reconnectMaxDelayMs: number;
  retryBaseMs: number;
  retryMaxMs: number;
  health: RedisHealthThresholds;
  propagator?: BrokerContextPropagator | null;
  observers?: BrokerObserver[];
  /** Base of this process's consumer names (default `<host>-<pid>-<random>`), unique per process. */
  consumerName?: string;
  /** Creates the transport's clients (e.g. from the shared @mira/redis connections); default: its own. */
  createClient?: (role: string, options: import('ioredis').RedisOptions) => Promise<import('ioredis').Redis>;
}

/** Optional extra events of the Redis transport; observers implement what they need. */
export interface RedisBrokerObserver extends BrokerObserver {
  onRetried?(type: string, group: string, attempt: number): void;
  onReclaimed?(type: string, group: string, count: number): void;
  onDeadLettered?(type: string, group: string): void;
}

export interface RedisBrokerStats extends BrokerStats {
  acked: number;
  retried: number;
  reclaimed: number;
  dead_lettered: number;
  /** Pending entries whose stream entry had been trimmed away before they were processed. */
  trimmed: number;
  /** Sum over this process's groups at the last poll (null before the first one). */
  lag: number | null;
  pending: number | null;
}

/** One consumer group of one stream as last observed. */
export interface RedisGroupInfo {
  type: string;
  group: string;
  lag: number | null;
  pending: number;
  consumers: number;
}

/** A message that exhausted its attempts, as stored in the dead-letter stream. */
export interface DeadLetter {
  entry_id: string;
  id: string;
  type: string;
  group: string;
  error: string;
  attempts: number;
  headers: Record<string, string>;
  /** The message data as published (JSON text). */
  data: string;
  published_at: string;
  failed_at: string;
}

/** Once-only processing across replicas (webhook delivery ids): SET key NX PX ttl. */
export interface IdempotencyStore {
  /** True when this caller is the first to claim `key` within `ttlMs`; false for a duplicate. */
  claim(key: string, ttlMs: number): Promise<boolean>;
  /** Forgets a claim (e.g. processing failed and the sender will retry). */
  release(key: string): Promise<void>;
  /** Sets a new TTL on an existing claim (false when it already expired). */
  extend(key: string, ttlMs: number): Promise<boolean>;
}
