import { DiscoveryService } from '@nestjs/core';

/**
 * Marks a provider implementing StateBackend as the backend named `state.backend: <name>`:
 * `@StateBackendProvider('postgres')`. Any module can add one without editing libs/state.
 */
export const StateBackendProvider = DiscoveryService.createDecorator<string>();
