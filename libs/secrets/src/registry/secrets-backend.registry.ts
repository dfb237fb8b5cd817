import type { DiscoveryService } from '@nestjs/core';
import { SecretsBackendProvider } from '../secrets.decorator';
import { SecretsError } from '../secrets.error';
import type { SecretsBackend } from '../secrets.interface';

/**
 * The backends by name: added by hand (code outside Nest, tests) or discovered as
 * `@SecretsBackendProvider('<name>')` providers, so a module adds one without editing this lib.
 */
export class SecretsBackendRegistry {
  private readonly backends = new Map<string, SecretsBackend>();

  constructor(private readonly discovery?: DiscoveryService) {}

  register(name: string, backend: SecretsBackend): void {
    this.backends.set(name, backend);
  }

  /** The backend named `secrets.backend`, after discovery; a hand-registered one wins over a discovered one. */
  select(name: string): SecretsBackend {
    for (const wrapper of this.discovery?.getProviders({ metadataKey: SecretsBackendProvider.KEY }) ?? []) {
      const found = this.discovery!.getMetadataByDecorator(SecretsBackendProvider, wrapper);
      if (found && wrapper.instance && !this.backends.has(found))
        this.backends.set(found, wrapper.instance as SecretsBackend);
    }
    const backend = this.backends.get(name);
    if (!backend) {
      throw new SecretsError(
        'SECRETS_BACKEND_UNKNOWN',
        `secrets.backend is "${name}" but no such backend is registered (known: ${[...this.backends.keys()].sort().join(', ')}); fix secrets.backend / MIRA_SECRETS_BACKEND`,
      );
    }
    return backend;
  }
}
