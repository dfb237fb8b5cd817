import type { Provider } from '@nestjs/common';
import { ThrottlerStorageService, type ThrottlerStorage } from '@nestjs/throttler';
import { ConfigStore } from '@mira/config';
import { RedisThrottlerStorage } from './redis-throttler.storage';

/** The ThrottlerStorage the edge guard counts in. */
export const EDGE_THROTTLER_STORAGE = Symbol('mira:EDGE_THROTTLER_STORAGE');

/**
 * In memory by default; in Redis when the broker runs on Redis, so every replica shares the same
 * counters (the limit then holds for the whole deployment, not per process).
 */
export const edgeThrottlerStorageProvider: Provider = {
  provide: EDGE_THROTTLER_STORAGE,
  inject: [ConfigStore],
  useFactory: (config: ConfigStore): ThrottlerStorage => {
    const broker = config.get('broker');
    return broker.transport === 'redis'
      ? new RedisThrottlerStorage({ url: broker.redis.url, prefix: `${broker.redis.stream_prefix}throttle:` })
      : new ThrottlerStorageService();
  },
};
