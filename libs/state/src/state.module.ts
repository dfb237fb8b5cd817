import { type DynamicModule, Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { ConfigModule, ConfigStore } from '@mira/config';
import { PostgresStateBackend } from './backends/postgres.backend';
import { SqliteStateBackend } from './backends/sqlite.backend';
import { STATE_STORE } from './state.constants';
import { StateHealthIndicator } from './state.health';
import { ConfigurableModuleClass } from './state.module-definition';
import { StateService } from './state.service';
import { StateShutdownHook } from './state.shutdown';
import { stateConfig } from './state.config';

/**
 * STATE_STORE (sqlite embedded by default, postgres to scale out; each backend a
 * @StateBackendProvider picked by `state.backend`), the `state` health check and the shutdown hook.
 */
@Module({
  imports: [DiscoveryModule, ConfigModule.forFeature(stateConfig)],
  providers: [
    StateService,
    SqliteStateBackend,
    PostgresStateBackend,
    { provide: STATE_STORE, useExisting: StateService },
    StateHealthIndicator,
    StateShutdownHook,
  ],
  exports: [STATE_STORE, StateService],
})
export class StateModule extends ConfigurableModuleClass {
  /** Global, from ConfigStore's `state` section, read at init (after secret:// references are resolved). */
  static fromConfig(): DynamicModule {
    return StateModule.forRootAsync({
      isGlobal: true,
      inject: [ConfigStore],
      useFactory: (store: ConfigStore) => ({ settings: () => store.get('state') }),
    });
  }
}
