import { type DynamicModule, Module, type ModuleMetadata } from '@nestjs/common';
import { AgentsModule } from '@mira/agents';
import { BrokerModule } from '@mira/broker';
import { ConfigModule, ConfigStore, type ConfigModuleDefinitionOptions } from '@mira/config';
import { HealthModule } from '@mira/health';
import { LoggingModule } from '@mira/logging';
import { MetricsModule } from '@mira/metrics';
import { ApiModule } from './api/api.module';

export interface AppModuleOptions {
  /** How to load config (file, env, overrides) or a config already loaded by the bootstrap. */
  config?: ConfigModuleDefinitionOptions;
  /** Extra modules (extensions: agents, health indicators, ...), as a user's own app would import. */
  imports?: ModuleMetadata['imports'];
}

/** Composes the libs; nothing else lives here. */
@Module({})
export class AppModule {
  static register(options: AppModuleOptions = {}): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot({ ...options.config, isGlobal: true }),
        LoggingModule,
        MetricsModule.forRoot(),
        BrokerModule,
        HealthModule.forRootAsync({
          inject: [ConfigStore],
          useFactory: (config: ConfigStore) => ({ cacheTtlMs: config.get('health').cache_ttl_ms }),
        }),
        AgentsModule,
        ApiModule,
        ...(options.imports ?? []),
      ],
    };
  }
}
