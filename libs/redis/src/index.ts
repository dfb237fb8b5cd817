export { RedisModule } from './redis.module';
export { RedisConnections } from './redis-connections.service';
export { REDIS_MODULE_OPTIONS } from './redis.module-definition';
export { RedisConnectionError, type RedisErrorCode } from './redis.error';
export { RedisHealthIndicator } from './redis.health';
export { REDIS_SHUTDOWN_PRIORITY } from './redis.shutdown';
export { redactRedisUrl, redactRedisText } from './redis.redact';
export { whenRedisReady, quitRedisClient } from './redis.client-state';
export type {
  RedisModuleOptions,
  RedisModuleExtras,
  RedisClientOverrides,
  RedisClientInfo,
} from './redis.interface';
