export { SecretsModule } from './secrets.module';
export { SecretsService } from './secrets.service';
export type { SecretsStats } from './stats/secrets-stats.recorder';
export { SecretsConfigResolver } from './secrets.resolver';
export { SecretsHealthIndicator } from './secrets.health';
export { SecretsBackendProvider } from './secrets.decorator';
export { SecretsError, SecretNotFoundError, formatRef, type SecretsErrorCode } from './secrets.error';
export { SECRETS_MODULE_OPTIONS, OPTIONS_TYPE, ASYNC_OPTIONS_TYPE } from './secrets.module-definition';
export { SECRETS_ENV, SECRETS_METRICS, SECRETS_REDACTION, SECRET_REF_PREFIX } from './secrets.constants';
export {
  parseSecretReference,
  findReferences,
  isSecretReference,
  isUnresolvedReference,
  type SecretReference,
  type ReferenceSite,
} from './secrets.reference';
export { withRetry, backoffDelay, retryPolicyFrom, type RetryPolicy } from './resilience/secrets.retry';
export { isTransient, statusOf } from './resilience/secrets.transient';
export { SecretsCircuitBreaker } from './resilience/secrets.breaker';
export { EnvSecretsBackend, envVariableFor } from './backends/env.backend';
export { FileSecretsBackend } from './backends/file.backend';
export { VaultSecretsBackend } from './backends/vault/vault.backend';
export { KubernetesSecretsBackend } from './backends/kubernetes.backend';
export type {
  SecretsBackend,
  SecretsBackendContext,
  SecretsBackendHealth,
  SecretsModuleOptions,
  SecretsConfig,
  SecretGetOptions,
  RotationListener,
  SecretsRedactionSink,
  SecretsMetricsSink,
  CircuitState,
  EnvRecord,
} from './secrets.interface';
export { secretsConfig, secretsSchema } from './secrets.config';
