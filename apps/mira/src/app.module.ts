// First: the service's config sections register before any lib's module is required.
import { MIRA_CONFIG_FEATURES } from './mira.config';
import { type DynamicModule, Module, type ModuleMetadata } from '@nestjs/common';
import { AgentsModule } from '@mira/agents';
import { BrokerModule } from '@mira/broker';
import { ConfigModule, ConfigStore, type ConfigModuleDefinitionOptions } from '@mira/config';
import { HealthModule } from '@mira/health';
import { LoggingModule, SERVICE_VERSION } from '@mira/logging';
import { MetricsModule } from '@mira/metrics';
import { RedisModule } from '@mira/redis';
import { SecretsModule } from '@mira/secrets';
import { defaultDrainDelayMs, ShutdownModule } from '@mira/shutdown';
import { StateModule } from '@mira/state';
import { ProjectsModule } from '@mira/projects';
import { FlagsModule } from '@mira/flags';
import { TracingModule } from '@mira/tracing';
import { ApiModule } from './api/api.module';
import { InboxModule } from './inbox/inbox.module';
import { WorkflowStreamModule } from './workflow-stream/workflow-stream.module';
import { ConfigHealthIndicator } from './config.health';
import { ReadinessShutdownHook } from './readiness.shutdown';
import { SecurityModule } from './security/security.module';

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
        ...MIRA_CONFIG_FEATURES,
        // Right after config: resolves secret:// config references during module init, before listen.
        SecretsModule.fromConfig(),
        LoggingModule,
        MetricsModule.forRoot({ version: SERVICE_VERSION }),
        // The one Redis of the deployment (when the broker runs on it): clients for the broker,
        // the rate limiter, webhook de-duplication and any module that needs one.
        RedisModule.forRootAsync({
          inject: [ConfigStore],
          useFactory: (config: ConfigStore) => {
            const broker = config.get('broker');
            return {
              url: broker.transport === 'redis' ? broker.redis.url : null,
              urlKey: 'broker.redis.url',
              defaults: { reconnectMaxDelayMs: broker.redis.reconnect_max_delay_ms },
            };
          },
        }),
        BrokerModule,
        // Workflow records and the audit trail; opens (and migrates) the store during init.
        StateModule.fromConfig(),
        HealthModule.forRootAsync({
          inject: [ConfigStore],
          useFactory: (config: ConfigStore) => ({
            cacheTtlMs: config.get('health').cache_ttl_ms,
            eventLoopMaxLagMs: config.get('health').event_loop_max_lag_ms,
          }),
        }),
        ShutdownModule.forRootAsync({
          inject: [ConfigStore],
          useFactory: (config: ConfigStore) => {
            const s = config.get('shutdown');
            return {
              timeoutMs: s.timeout_ms,
              hookTimeoutMs: s.hook_timeout_ms,
              drainDelayMs: s.drain_delay_ms ?? defaultDrainDelayMs(process.env),
              // Development: a second Ctrl-C exits at once; production always finishes the sequence.
              exitOnSecondInterrupt: process.env.NODE_ENV !== 'production',
            };
          },
        }),
        AgentsModule,
        // Projects, tracker connectors and sync, the roadmapping agent (tables in the state store).
        ProjectsModule,
        FlagsModule,
        TracingModule,
        SecurityModule,
        ApiModule,
        InboxModule,
        WorkflowStreamModule,
        ...(options.imports ?? []),
      ],
      providers: [ReadinessShutdownHook, ConfigHealthIndicator],
    };
  }
}
