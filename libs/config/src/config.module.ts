import { Module } from '@nestjs/common';
import { metricsCollector } from '@mira/metrics';
import { ConfigWatcherFactory } from './config-watcher.factory';
import { ConfigFileSystem } from './config.file-system';
import { ConfigHealthIndicator } from './config.health';
import { loadConfig } from './config.loader';
import { ConfigMetrics } from './config.metrics';
import {
  CONFIG_MODULE_OPTIONS,
  ConfigurableModuleClass,
  type ConfigModuleDefinitionOptions,
} from './config.module-definition';
import { ConfigReloadService } from './config.reload.service';
import { ConfigStore } from './config.store';

/**
 * Loads, validates and holds the configuration; global so every module can inject ConfigStore.
 * With config.hot_reload on, ConfigReloadService watches the file and swaps validated snapshots.
 */
@Module({
  providers: [
    {
      provide: ConfigStore,
      inject: [CONFIG_MODULE_OPTIONS],
      useFactory: (options: ConfigModuleDefinitionOptions) =>
        new ConfigStore(options.preloaded ?? loadConfig(options)),
    },
    ConfigHealthIndicator,
    metricsCollector(ConfigMetrics, [ConfigStore]),
    ConfigFileSystem,
    ConfigWatcherFactory,
    ConfigReloadService,
  ],
  exports: [ConfigStore, CONFIG_MODULE_OPTIONS, ConfigReloadService],
})
export class ConfigModule extends ConfigurableModuleClass {}
