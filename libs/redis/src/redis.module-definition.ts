import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { RedisModuleExtras, RedisModuleOptions } from './redis.interface';

export const {
  ConfigurableModuleClass: RedisModuleBase,
  MODULE_OPTIONS_TOKEN: REDIS_MODULE_OPTIONS,
  OPTIONS_TYPE: REDIS_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: REDIS_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<RedisModuleOptions>()
  .setClassMethodName('forRoot')
  .setExtras<RedisModuleExtras>({ isGlobal: true, healthCheck: false }, (definition, extras) => ({
    ...definition,
    global: extras.isGlobal,
  }))
  .build();
