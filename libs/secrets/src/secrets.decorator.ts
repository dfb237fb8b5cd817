import { DiscoveryService } from '@nestjs/core';

/**
 * Marks a provider implementing SecretsBackend as the backend named `secrets.backend: <name>`:
 * `@SecretsBackendProvider('vault')`. Any module can add one without editing libs/secrets.
 */
export const SecretsBackendProvider = DiscoveryService.createDecorator<string>();
