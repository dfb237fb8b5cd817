import { DiscoveryService } from '@nestjs/core';

/**
 * Marks a provider implementing StateBackend as the backend named `state.backend: <name>`:
 * `@StateBackendProvider('postgres')`. Any module can add one without editing libs/state.
 */
export const StateBackendProvider = DiscoveryService.createDecorator<string>();

/**
 * Marks a provider implementing StateMigrationSource as contributing the tables of `<owner>`:
 * `@StateMigrations('schedules')`. Its migrations are applied when the store opens, after the
 * core ones, and recorded as (owner, version) in module_migrations.
 */
export const StateMigrations = DiscoveryService.createDecorator<string>();
