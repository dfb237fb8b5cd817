import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { ConfigModuleOptions } from './config.interface';
import type { LoadedConfig } from './config.loader';

export interface ConfigModuleDefinitionOptions extends ConfigModuleOptions {
  /** A config already loaded by the bootstrap (so a bad config fails before Nest starts). */
  preloaded?: LoadedConfig;
}

export const {
  ConfigurableModuleClass,
  MODULE_OPTIONS_TOKEN: CONFIG_MODULE_OPTIONS,
  OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<ConfigModuleDefinitionOptions>()
  .setClassMethodName('forRoot')
  .setExtras({ isGlobal: true }, (definition, extras) => ({ ...definition, global: extras.isGlobal }))
  .build();
