import { Injectable } from '@nestjs/common';
import { SecretsBackendProvider } from '../secrets.decorator';
import type { EnvRecord, SecretsBackend, SecretsBackendContext } from '../secrets.interface';

/** `db` + `password` -> `DB_PASSWORD` (non-alphanumerics become `_`). */
export function envVariableFor(name: string, key?: string): string {
  return (key === undefined ? name : `${name}_${key}`).toUpperCase().replace(/[^A-Z0-9]/g, '_');
}

/**
 * Environment variables: `secret://<name>:<key>` reads `<NAME>_<KEY>`, falling back to the variable
 * `<name>` itself (key ignored), then `<NAME>`. The default backend.
 */
@Injectable()
@SecretsBackendProvider('env')
export class EnvSecretsBackend implements SecretsBackend {
  private env: EnvRecord = process.env;

  async init(context: SecretsBackendContext): Promise<void> {
    this.env = context.env;
  }

  async read(name: string, key: string | undefined): Promise<string | undefined> {
    if (key !== undefined) {
      const specific = this.env[envVariableFor(name, key)];
      if (specific !== undefined) return specific;
    }
    return this.env[name] ?? this.env[envVariableFor(name)];
  }

  health() {
    return { status: 'healthy' as const };
  }
}
