import { type DynamicModule, Module } from '@nestjs/common';
import { metricsCollector } from '@mira/metrics';
import { ConfigWatcherFactory } from './config-watcher.factory';
import { ConfigFileSystem } from './config.file-system';
import { loadConfig } from './config.loader';
import { ConfigMetrics } from './config.metrics';
import {
  CONFIG_MODULE_OPTIONS,
  ConfigurableModuleClass,
  type ConfigModuleDefinitionOptions,
} from './config.module-definition';
import { ConfigReloadService } from './config.reload.service';
import { registerConfigSection, type ConfigSection } from './config.section';
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
    metricsCollector(ConfigMetrics, [ConfigStore]),
    ConfigFileSystem,
    ConfigWatcherFactory,
    ConfigReloadService,
  ],
  exports: [ConfigStore, CONFIG_MODULE_OPTIONS, ConfigReloadService],
})
export class ConfigModule extends ConfigurableModuleClass {
  /**
   * Registers a lib's or plugin's config section (defineConfigSection) NOW: called in a module's
   * `@Module({ imports: [...] })`, it runs when the module's file is required, before the
   * bootstrap's loadConfig() validates the composed whole. Read the section with
   * `configStore.section(section)` (ConfigStore is global).
   */
  static forFeature(section: ConfigSection): DynamicModule {
    registerConfigSection(section);
    return { module: ConfigFeatureModule };
  }
}

/** What forFeature imports: nothing to provide, the registration is the point. */
@Module({})
class ConfigFeatureModule {}
