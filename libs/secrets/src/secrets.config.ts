import { z } from 'zod';
import { configValue, defineConfigSection } from '@mira/config';
import type { ConfigSectionsInput, ConfigSectionsOutput } from '@mira/config';

const { bool, int, num } = configValue;

export const secretsSchema = z
  .strictObject({
    // Any @SecretsBackendProvider(name); an unknown name stops the start listing the known ones.
    backend: z.string().min(1).default('env'),
    auto_refresh: bool(false),
    refresh_interval: num(3600, 1),
    cache_ttl: num(300, 0),
    retry: z
      .strictObject({
        max_retries: int(3, 0, 20),
        delay: num(1, 0),
        factor: num(2, 1),
        max_delay: num(30, 0),
      })
      .prefault({}),
    // cockatiel timeout + circuit breaker around Vault / Kubernetes API calls; durations in seconds.
    circuit_breaker: z
      .strictObject({
        enabled: bool(true),
        timeout: num(10, 0.01),
        error_threshold_percentage: int(50, 1, 100),
        volume_threshold: int(5, 1),
        reset_timeout: num(30, 0.01),
      })
      .prefault({}),
    file: z.strictObject({ root: z.string().default('/etc/mira/secrets') }).prefault({}),
    vault: z
      .strictObject({
        url: z.string().nullable().default(null),
        token: z.string().nullable().default(null),
        token_file: z.string().nullable().default(null),
        namespace: z.string().nullable().default(null),
        mount_point: z.string().default('secret'),
        kv_version: z
          .preprocess((v) => (typeof v === 'string' ? Number(v) : v), z.union([z.literal(1), z.literal(2)]))
          .default(2),
        auth_method: z.enum(['token', 'approle', 'kubernetes']).default('token'),
        role_id: z.string().nullable().default(null),
        secret_id: z.string().nullable().default(null),
        role_id_file: z.string().nullable().default(null),
        secret_id_file: z.string().nullable().default(null),
        kubernetes_role: z.string().nullable().default(null),
        kubernetes_jwt_file: z.string().default('/var/run/secrets/kubernetes.io/serviceaccount/token'),
        kubernetes_mount_path: z.string().default('kubernetes'),
        approle_mount_path: z.string().default('approle'),
      })
      .prefault({}),
    kubernetes: z
      .strictObject({
        namespace: z.string().nullable().default(null),
        kubeconfig: z.string().nullable().default(null),
        watch: bool(false),
        // In-cluster service-account files (token, ca.crt, namespace); configurable so tests can emulate a pod.
        service_account_dir: z.string().default('/var/run/secrets/kubernetes.io/serviceaccount'),
      })
      .prefault({}),
  })
  .prefault({});

export const secretsConfig = defineConfigSection({
  key: 'secrets',
  schema: secretsSchema,
  env: {
    backend: 'MIRA_SECRETS_BACKEND',
    auto_refresh: 'MIRA_SECRETS_AUTO_REFRESH',
    'vault.url': 'MIRA_VAULT_URL',
    'vault.token': 'MIRA_VAULT_TOKEN',
  },
  fallbackEnv: {
    'vault.url': 'VAULT_ADDR',
    'vault.token': 'VAULT_TOKEN',
    'vault.namespace': 'VAULT_NAMESPACE',
  },
  owner: 'libs/secrets',
});

declare module '@mira/config' {
  interface MiraConfig extends ConfigSectionsOutput<typeof secretsConfig> {}
  interface MiraConfigInput extends ConfigSectionsInput<typeof secretsConfig> {}
}
