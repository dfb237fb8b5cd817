import type { Provider } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';
import { ConfigStore } from '@mira/config';
import { RedisConnections } from '@mira/redis';
import { MemoryThrottlerStorage } from '../edge/memory-throttler.storage';
import { RedisThrottlerStorage } from './redis-throttler.storage';

/** The ThrottlerStorage the edge guard counts in. */
export const EDGE_THROTTLER_STORAGE = Symbol('mira:EDGE_THROTTLER_STORAGE');

/**
 * In memory by default; in Redis when the deployment has one (the broker runs on Redis), so every
 * replica shares the same counters (the limit then holds for the whole deployment, not per process).
 */
export const edgeThrottlerStorageProvider: Provider = {
  provide: EDGE_THROTTLER_STORAGE,
  inject: [ConfigStore, RedisConnections],
  useFactory: (config: ConfigStore, connections: RedisConnections): ThrottlerStorage => {
    const broker = config.get('broker');
    return connections.enabled
      ? new RedisThrottlerStorage({
          url: broker.redis.url,
          prefix: `${broker.redis.stream_prefix}throttle:`,
          connections,
        })
      : new MemoryThrottlerStorage();
  },
};
