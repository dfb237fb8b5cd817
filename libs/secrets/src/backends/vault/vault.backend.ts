import { Injectable } from '@nestjs/common';
import type NodeVault from 'node-vault';
import type { HealthStatus } from '@mira/health';
import { SecretsCircuitBreaker } from '../../resilience/secrets.breaker';
import { retryPolicyFrom } from '../../resilience/secrets.retry';
import { statusOf } from '../../resilience/secrets.transient';
import { SecretsBackendProvider } from '../../secrets.decorator';
import { formatRef, SecretsError } from '../../secrets.error';
import type {
  SecretsBackend,
  SecretsBackendContext,
  SecretsBackendHealth,
  SecretsConfig,
} from '../../secrets.interface';
import { vaultError } from './vault.errors';
import { VaultTokenLifecycle } from './vault-token.lifecycle';

type VaultConfig = SecretsConfig['vault'];

/**
 * HashiCorp Vault through node-vault (loaded lazily here only). `secret://<name>:<key>` reads path
 * `<name>` in the KV mount (v2 `<mount>/data/<name>` by default, v1 `<mount>/<name>`) and returns field
 * `<key>`. The token (login, renewal, re-login) is VaultTokenLifecycle's; a 403 from an expired or
 * revoked token makes it log in again once before the read is retried. Calls go through a circuit
 * breaker.
 */
@Injectable()
@SecretsBackendProvider('vault')
export class VaultSecretsBackend implements SecretsBackend {
  private client!: NodeVault.client;
  private cfg!: VaultConfig;
  private breaker!: SecretsCircuitBreaker;
  private token: VaultTokenLifecycle | null = null;

  async init(context: SecretsBackendContext): Promise<void> {
    this.cfg = context.options.vault;
    if (!this.cfg.url)
      throw new SecretsError(
        'SECRETS_BACKEND_MISCONFIGURED',
        'secrets.backend is vault but no Vault address is set: set secrets.vault.url, MIRA_VAULT_URL or VAULT_ADDR',
      );
    const loaded = (await import('node-vault')) as unknown as { default?: typeof NodeVault };
    const factory = (loaded.default ?? loaded) as typeof NodeVault;
    const timeout = Math.round(context.options.circuit_breaker.timeout * 1000);
    this.client = factory({ endpoint: this.cfg.url, apiVersion: 'v1', requestOptions: { timeout } });
    // node-vault falls back to VAULT_TOKEN / VAULT_NAMESPACE from process.env; config already honours
    // those, so pin both to what config says.
    this.client.token = '';
    (this.client as unknown as { namespace: string }).namespace = this.cfg.namespace ?? '';
    this.breaker = new SecretsCircuitBreaker('vault', context.options.circuit_breaker, context.reportCircuit);
    context.reportCircuit(this.breaker.state);
    this.token = new VaultTokenLifecycle(
      this.client,
      this.cfg,
      retryPolicyFrom(context.options.retry),
      (fn) => this.breaker.call(fn),
      context.logger,
    );
    await this.token.relogin();
  }

  async read(name: string, key: string | undefined): Promise<string | undefined> {
    const ref = formatRef(name, key);
    const path =
      this.cfg.kv_version === 2 ? `${this.cfg.mount_point}/data/${name}` : `${this.cfg.mount_point}/${name}`;
    let body: any;
    try {
      body = await this.breaker.call(() => this.client.read(path));
    } catch (err) {
      const status = statusOf(err);
      if (status === 404) return undefined;
      if (status !== 403) throw vaultError(err, `reading ${ref}`);
      // 403 is both "expired token" and "no policy": ask Vault about the token before logging in again.
      if (!(await this.token!.tokenRejected())) throw this.denied(ref);
      await this.token!.relogin();
      try {
        body = await this.breaker.call(() => this.client.read(path));
      } catch (again) {
        const s = statusOf(again);
        if (s === 404) return undefined;
        throw s === 403 ? this.denied(ref) : vaultError(again, `reading ${ref}`);
      }
    }
    const data = (this.cfg.kv_version === 2 ? body?.data?.data : body?.data) as Record<
      string,
      unknown
    > | null;
    if (!data || typeof data !== 'object') return undefined;
    const field = key ?? singleKey(data);
    if (field === undefined) return undefined;
    const value = data[field];
    if (value === undefined || value === null) return undefined;
    return typeof value === 'string' ? value : JSON.stringify(value);
  }

  health(): SecretsBackendHealth {
    const circuit = this.breaker?.state ?? 'closed';
    const now = Date.now();
    const authProblem = this.token?.problem(now) ?? null;
    let status: HealthStatus = 'healthy';
    let reason: string | null = null;
    if (circuit === 'open') {
      status = 'degraded';
      reason = 'Vault circuit open: serving cached secrets';
    } else if (authProblem) {
      status = 'degraded';
      reason = authProblem;
    }
    return { status, reason, circuit, auth: this.token?.health(now) ?? null };
  }

  async close(): Promise<void> {
    this.token?.close();
    this.breaker?.shutdown();
  }

  private denied(ref: string): SecretsError {
    return new SecretsError(
      'SECRET_ACCESS_DENIED',
      `Vault denied reading ${ref} (403): grant the token's policy read on ${this.cfg.mount_point}/${this.cfg.kv_version === 2 ? 'data/' : ''}<name>`,
      { transient: false, status: 403 },
    );
  }
}

function singleKey(data: Record<string, unknown>): string | undefined {
  const keys = Object.keys(data);
  return keys.length === 1 ? keys[0] : undefined;
}
