import { Inject, Injectable } from '@nestjs/common';
import { CONFIG_MODULE_OPTIONS, type ConfigModuleDefinitionOptions } from '@mira/config';

/**
 * NODE_ENV as seen by the config loader (its `env` option, else process.env), so tests can boot a
 * "production" app without touching the real environment.
 */
@Injectable()
export class RuntimeEnvironment {
  constructor(@Inject(CONFIG_MODULE_OPTIONS) private readonly options: ConfigModuleDefinitionOptions) {}

  get nodeEnv(): string | undefined {
    return (this.options.env ?? process.env).NODE_ENV;
  }

  get isProduction(): boolean {
    return this.nodeEnv?.trim().toLowerCase() === 'production';
  }
}
