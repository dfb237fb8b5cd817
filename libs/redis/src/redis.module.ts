import { type DynamicModule, Module } from '@nestjs/common';
import { RedisConnections } from './redis-connections.service';
import { RedisHealthIndicator } from './redis.health';
import { REDIS_ASYNC_OPTIONS_TYPE, REDIS_OPTIONS_TYPE, RedisModuleBase } from './redis.module-definition';
import { RedisShutdownHook } from './redis.shutdown';

/**
 * The shared Redis connections: `RedisModule.forRoot({ url })` (or forRootAsync from config) once
 * in the app; anything may then inject RedisConnections (global by default).
 */
@Module({
  providers: [RedisConnections, RedisShutdownHook],
  exports: [RedisConnections],
})
export class RedisModule extends RedisModuleBase {
  static override forRoot(options: typeof REDIS_OPTIONS_TYPE): DynamicModule {
    return withHealth(super.forRoot(options), options.healthCheck);
  }

  static override forRootAsync(options: typeof REDIS_ASYNC_OPTIONS_TYPE): DynamicModule {
    return withHealth(super.forRootAsync(options), options.healthCheck);
  }
}

/** The check is opt-in: a provider only when asked for, so discovery finds it only then. */
function withHealth(definition: DynamicModule, healthCheck: boolean | undefined): DynamicModule {
  if (!healthCheck) return definition;
  return { ...definition, providers: [...(definition.providers ?? []), RedisHealthIndicator] };
}
