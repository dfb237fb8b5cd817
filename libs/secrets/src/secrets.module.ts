import { type DynamicModule, Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import {
  ConfigModule,
  CONFIG_MODULE_OPTIONS,
  ConfigStore,
  type ConfigModuleDefinitionOptions,
} from '@mira/config';
import { EnvSecretsBackend } from './backends/env.backend';
import { FileSecretsBackend } from './backends/file.backend';
import { KubernetesSecretsBackend } from './backends/kubernetes.backend';
import { VaultSecretsBackend } from './backends/vault/vault.backend';
import { SECRETS_ENV } from './secrets.constants';
import { SecretsHealthIndicator } from './secrets.health';
import type { SecretsModuleOptions } from './secrets.interface';
import { ConfigurableModuleClass, SECRETS_MODULE_OPTIONS } from './secrets.module-definition';
import { SecretsConfigResolver } from './secrets.resolver';
import { SecretsService } from './secrets.service';
import { SECRETS_OBSERVABILITY_PROVIDERS } from './secrets.observability';
import { secretsConfig } from './secrets.config';

/**
 * SecretsService, the four built-in backends (each a @SecretsBackendProvider, picked by
 * `secrets.backend`), the `secrets` health check and the `secret://` config resolver.
 */
@Module({
  imports: [DiscoveryModule, ConfigModule.forFeature(secretsConfig)],
  providers: [
    SecretsService,
    SecretsConfigResolver,
    SecretsHealthIndicator,
    EnvSecretsBackend,
    FileSecretsBackend,
    VaultSecretsBackend,
    KubernetesSecretsBackend,
    {
      provide: SECRETS_ENV,
      inject: [SECRETS_MODULE_OPTIONS],
      useFactory: (options: SecretsModuleOptions) => options.env ?? process.env,
    },
    ...SECRETS_OBSERVABILITY_PROVIDERS,
  ],
  exports: [SecretsService],
})
export class SecretsModule extends ConfigurableModuleClass {
  /** forRootAsync from the `secrets` config section, reading the same environment as the config. */
  static fromConfig(): DynamicModule {
    return SecretsModule.forRootAsync({
      isGlobal: true,
      inject: [ConfigStore, CONFIG_MODULE_OPTIONS],
      useFactory: (store: ConfigStore, configOptions: ConfigModuleDefinitionOptions) => ({
        ...store.get('secrets'),
        env: configOptions.env,
      }),
    });
  }
}
