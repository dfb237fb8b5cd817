import type { LoggerService } from '@nestjs/common';
import type { MiraConfig } from '@mira/config';
import type { HealthStatus } from '@mira/health';

/** The `secrets` config section. */
export type SecretsConfig = MiraConfig['secrets'];

export interface SecretsModuleOptions extends SecretsConfig {
  /** Environment for the env backend and in-cluster detection (default: the config's env, else process.env). */
  env?: Record<string, string | undefined>;
}

export type EnvRecord = Readonly<Record<string, string | undefined>>;

/** What a backend gets when it is selected. */
export interface SecretsBackendContext {
  options: SecretsModuleOptions;
  env: EnvRecord;
  logger: LoggerService;
  /** Called by watching backends when a secret changed (the service re-reads and fires rotations). */
  notifyChanged(name: string): void;
  /** Circuit breaker state changes (for /metrics). */
  reportCircuit(state: CircuitState): void;
}

/** Backend state for the `secrets` health check: a value, never a thrown error. */
export interface SecretsBackendHealth {
  status: HealthStatus;
  reason?: string | null;
  [detail: string]: unknown;
}

/**
 * A place secrets live. One file per implementation, decorated `@SecretsBackendProvider('<name>')`.
 * `read` returns undefined when the secret or key does not exist and throws a SecretsError on failure
 * (with `transient` set for network, 5xx and 429 failures so the service retries them).
 */
export interface SecretsBackend {
  /** Load the SDK, authenticate, start watches. Called once, only on the selected backend. */
  init?(context: SecretsBackendContext): Promise<void>;
  read(name: string, key: string | undefined): Promise<string | undefined>;
  health?(): SecretsBackendHealth;
  close?(): Promise<void>;
}

export interface SecretGetOptions {
  /** Returned instead of throwing SecretNotFoundError when the secret does not exist. */
  default?: string;
}

export type RotationListener = (name: string, key: string | undefined) => void | Promise<void>;

/** Optional seams filled by other libs (logging, metrics); the secrets lib works without them. */
export interface SecretsRedactionSink {
  register(value: string): void;
}

export interface SecretsMetricsSink {
  refresh(backend: string, result: 'ok' | 'failed'): void;
  lastRefresh(backend: string, unixSeconds: number): void;
  circuitState(backend: string, state: CircuitState): void;
  stale(backend: string, count: number): void;
}

export type CircuitState = 'closed' | 'half_open' | 'open';
