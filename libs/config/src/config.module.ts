import { Module } from '@nestjs/common';
import { ConfigHealthIndicator } from './config.health';
import { loadConfig } from './config.loader';
import {
  CONFIG_MODULE_OPTIONS,
  ConfigurableModuleClass,
  type ConfigModuleDefinitionOptions,
} from './config.module-definition';
import { ConfigStore } from './config.store';

/** Loads, validates and holds the configuration; global so every module can inject ConfigStore. */
@Module({
  providers: [
    {
      provide: ConfigStore,
      inject: [CONFIG_MODULE_OPTIONS],
      useFactory: (options: ConfigModuleDefinitionOptions) =>
        new ConfigStore(options.preloaded ?? loadConfig(options)),
    },
    ConfigHealthIndicator,
  ],
  exports: [ConfigStore, CONFIG_MODULE_OPTIONS],
})
export class ConfigModule extends ConfigurableModuleClass {}
