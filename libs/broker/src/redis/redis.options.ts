import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { MiraConfig } from '@mira/config';
import type { RedisTransportOptions } from './redis.interface';

/** Maps `broker.*` config onto transport options. */
export function redisTransportOptions(
  broker: MiraConfig['broker'],
  extra: Pick<RedisTransportOptions, 'propagator' | 'observers' | 'consumerName'> = {},
): RedisTransportOptions {
  const r = broker.redis;
  return {
    url: r.url,
    streamPrefix: r.stream_prefix,
    visibilityTimeoutMs: r.visibility_timeout_ms,
    maxlen: r.maxlen,
    blockMs: r.block_ms,
    batchSize: r.batch_size,
    maxInFlight: r.max_in_flight,
    maxAttempts: broker.max_attempts,
    commandTimeoutMs: r.command_timeout_ms,
    reconnectMaxDelayMs: r.reconnect_max_delay_ms,
    retryBaseMs: r.retry_base_ms,
    retryMaxMs: r.retry_max_ms,
    health: {
      lagDegraded: r.health.lag_degraded,
      lagUnhealthy: r.health.lag_unhealthy,
      pendingDegraded: r.health.pending_degraded,
      pendingUnhealthy: r.health.pending_unhealthy,
    },
    ...extra,
  };
}

/** Host + pid + random: two processes (or two restarts of one pid in a container) never share a name. */
export function defaultConsumerName(): string {
  return `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
}
