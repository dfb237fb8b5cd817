import { Inject, Injectable } from '@nestjs/common';
import { CONFIG_MODULE_OPTIONS, type ConfigModuleDefinitionOptions } from '@mira/config';

/**
 * NODE_ENV as seen by the config loader (its `env` option, else process.env), so tests can boot a
 * "production" app without touching the real environment.
 */
@Injectable()
export class RuntimeEnvironment {
  /** Read once: the API-key guard asks on every request, and the environment is fixed at start. */
  readonly nodeEnv: string | undefined;
  readonly isProduction: boolean;

  constructor(@Inject(CONFIG_MODULE_OPTIONS) options: ConfigModuleDefinitionOptions) {
    this.nodeEnv = (options.env ?? process.env).NODE_ENV;
    this.isProduction = this.nodeEnv?.trim().toLowerCase() === 'production';
  }
}
