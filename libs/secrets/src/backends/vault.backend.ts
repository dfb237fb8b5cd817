import { readFile } from 'node:fs/promises';
import { Injectable, type LoggerService } from '@nestjs/common';
import type NodeVault from 'node-vault';
import type { HealthStatus } from '@mira/health';
import { SecretsCircuitBreaker } from '../resilience/secrets.breaker';
import { SecretsBackendProvider } from '../secrets.decorator';
import { formatRef, SecretsError } from '../secrets.error';
import type {
  SecretsBackend,
  SecretsBackendContext,
  SecretsBackendHealth,
  SecretsConfig,
} from '../secrets.interface';
import { backoffDelay, retryPolicyFrom, withRetry, type RetryPolicy } from '../resilience/secrets.retry';
import { isTransient, statusOf } from '../resilience/secrets.transient';

type VaultConfig = SecretsConfig['vault'];

interface AuthState {
  method: VaultConfig['auth_method'];
  /** ms epoch when the current token expires; null for a non-expiring token or before login. */
  expiresAt: number | null;
  renewable: boolean;
  logins: number;
  renewals: number;
  /** Failed renewal/login attempts since the last success (each retry counts). */
  failures: number;
  lastError: string | null;
  lastLoginAt: number | null;
  lastRenewalAt: number | null;
}

/** Renew (or log in again) when this fraction of the token's TTL has passed. */
export const RENEW_AT_FRACTION = 2 / 3;
/** The largest delay setTimeout honours. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * HashiCorp Vault through node-vault (loaded lazily here only). `secret://<name>:<key>` reads path
 * `<name>` in the KV mount (v2 `<mount>/data/<name>` by default, v1 `<mount>/<name>`) and returns field
 * `<key>`. Auth: token (config/env or a token file), AppRole, or Kubernetes (the service-account JWT is
 * re-read at every login). The token's TTL is looked up; it is renewed at 2/3 of the TTL, and on expiry
 * (or a 403 from an expired token) the backend logs in again. Calls go through a circuit breaker.
 */
@Injectable()
@SecretsBackendProvider('vault')
export class VaultSecretsBackend implements SecretsBackend {
  private client!: NodeVault.client;
  private cfg!: VaultConfig;
  private breaker!: SecretsCircuitBreaker;
  private policy!: RetryPolicy;
  private logger!: LoggerService;
  private renewTimer: NodeJS.Timeout | null = null;
  private login: Promise<void> | null = null;
  private closed = false;
  private auth: AuthState = {
    method: 'token',
    expiresAt: null,
    renewable: false,
    logins: 0,
    renewals: 0,
    failures: 0,
    lastError: null,
    lastLoginAt: null,
    lastRenewalAt: null,
  };

  async init(context: SecretsBackendContext): Promise<void> {
    this.cfg = context.options.vault;
    this.logger = context.logger;
    this.policy = retryPolicyFrom(context.options.retry);
    this.auth.method = this.cfg.auth_method;
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
    await this.relogin();
  }

  async read(name: string, key: string | undefined): Promise<string | undefined> {
    const ref = formatRef(name, key);
    const path =
      this.cfg.kv_version === 2 ? `${this.cfg.mount_point}/data/${name}` : `${this.cfg.mount_point}/${name}`;
    let body: any;
    try {
      body = await this.call(() => this.client.read(path));
    } catch (err) {
      const status = statusOf(err);
      if (status === 404) return undefined;
      if (status !== 403) throw this.wrap(err, `reading ${ref}`);
      // 403 is both "expired token" and "no policy": ask Vault about the token before logging in again.
      if (!(await this.tokenRejected())) throw this.denied(ref);
      await this.relogin();
      try {
        body = await this.call(() => this.client.read(path));
      } catch (again) {
        const s = statusOf(again);
        if (s === 404) return undefined;
        throw s === 403 ? this.denied(ref) : this.wrap(again, `reading ${ref}`);
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
    const expired = this.auth.expiresAt !== null && this.auth.expiresAt <= now;
    let status: HealthStatus = 'healthy';
    let reason: string | null = null;
    if (circuit === 'open') {
      status = 'degraded';
      reason = 'Vault circuit open: serving cached secrets';
    } else if (expired) {
      status = 'degraded';
      reason = 'Vault token expired; logging in again';
    } else if (this.auth.failures > 0) {
      status = 'degraded';
      reason = `Vault token renewal/login failing (${this.auth.failures} attempts): ${this.auth.lastError}`;
    }
    return {
      status,
      reason,
      circuit,
      auth: {
        method: this.auth.method,
        token_ttl_seconds:
          this.auth.expiresAt === null ? null : Math.max(0, Math.round((this.auth.expiresAt - now) / 1000)),
        renewable: this.auth.renewable,
        logins: this.auth.logins,
        renewals: this.auth.renewals,
        failures: this.auth.failures,
        last_error: this.auth.lastError,
        last_login_at: this.auth.lastLoginAt === null ? null : new Date(this.auth.lastLoginAt).toISOString(),
        last_renewal_at:
          this.auth.lastRenewalAt === null ? null : new Date(this.auth.lastRenewalAt).toISOString(),
      },
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.renewTimer) clearTimeout(this.renewTimer);
    this.renewTimer = null;
    this.breaker?.shutdown();
  }

  /** Logs in (coalesced: concurrent 403s share one login), retrying transient failures with backoff. */
  relogin(): Promise<void> {
    this.login ??= withRetry(() => this.loginOnce(), this.policy, {
      onRetry: (err, attempt, delay) => this.recordFailure(err, `login retry ${attempt} in ${delay} ms`),
    })
      .catch((err: unknown) => {
        this.recordFailure(err, 'login failed');
        throw err instanceof SecretsError ? err : this.wrap(err, `logging in (${this.cfg.auth_method})`);
      })
      .finally(() => {
        this.login = null;
      });
    return this.login;
  }

  private async loginOnce(): Promise<void> {
    const method = this.cfg.auth_method;
    let ttl: number;
    let renewable: boolean;
    if (method === 'token') {
      this.client.token = await this.readToken();
      const res = await this.call(() => this.client.tokenLookupSelf());
      ttl = Number(res?.data?.ttl ?? 0);
      renewable = Boolean(res?.data?.renewable);
    } else {
      const res =
        method === 'approle'
          ? await this.call(async () =>
              this.client.approleLogin({
                mount_point: this.cfg.approle_mount_path,
                role_id: await this.credential(this.cfg.role_id, this.cfg.role_id_file, 'role_id'),
                secret_id: await this.credential(this.cfg.secret_id, this.cfg.secret_id_file, 'secret_id'),
              }),
            )
          : await this.call(async () =>
              this.client.kubernetesLogin({
                mount_point: this.cfg.kubernetes_mount_path,
                role: this.requireRole(),
                jwt: (await this.readRequired(this.cfg.kubernetes_jwt_file, 'kubernetes_jwt_file')).trim(),
              }),
            );
      const token = res?.auth?.client_token;
      if (typeof token !== 'string' || !token)
        throw new SecretsError(
          'SECRETS_AUTH_FAILED',
          `Vault ${method} login answered without a client token`,
        );
      this.client.token = token;
      ttl = Number(res?.auth?.lease_duration ?? 0);
      renewable = Boolean(res?.auth?.renewable);
    }
    const now = Date.now();
    this.auth = {
      ...this.auth,
      expiresAt: ttl > 0 ? now + ttl * 1000 : null,
      renewable,
      logins: this.auth.logins + 1,
      failures: 0,
      lastError: null,
      lastLoginAt: now,
    };
    this.logger.log?.(`Vault login (${method}) ok; token ttl ${ttl > 0 ? `${ttl}s` : 'none'}`);
    this.schedule(ttl);
  }

  /** Renews at 2/3 of the TTL, or logs in again when the token cannot be renewed (any more). */
  private schedule(ttlSeconds: number): void {
    if (this.renewTimer) clearTimeout(this.renewTimer);
    this.renewTimer = null;
    if (this.closed || ttlSeconds <= 0) return;
    const dueAt = Date.now() + ttlSeconds * 1000 * RENEW_AT_FRACTION;
    this.armRenewal(dueAt);
  }

  /**
   * setTimeout caps at 2^31-1 ms (~24.8 days) and fires at once beyond it; a long-TTL token would
   * then renew in a loop. Long waits are split: re-arm until the due time.
   */
  private armRenewal(dueAt: number): void {
    const wait = Math.min(Math.max(0, dueAt - Date.now()), MAX_TIMER_MS);
    this.renewTimer = setTimeout(() => {
      if (Date.now() < dueAt) this.armRenewal(dueAt);
      else void this.renewOrLogin();
    }, wait);
    this.renewTimer.unref();
  }

  private async renewOrLogin(): Promise<void> {
    if (this.closed) return;
    try {
      if (this.auth.renewable) {
        const res = await withRetry(() => this.call(() => this.client.tokenRenewSelf()), this.policy, {
          onRetry: (err, attempt, delay) =>
            this.recordFailure(err, `renewal retry ${attempt} in ${delay} ms`),
        });
        const ttl = Number(res?.auth?.lease_duration ?? 0);
        const now = Date.now();
        // Vault caps renewals at the token's max TTL; a TTL too short to renew again means log in.
        if (ttl >= 1) {
          this.auth = {
            ...this.auth,
            expiresAt: now + ttl * 1000,
            renewable: res?.auth?.renewable !== false,
            renewals: this.auth.renewals + 1,
            failures: 0,
            lastError: null,
            lastRenewalAt: now,
          };
          this.schedule(ttl);
          return;
        }
      }
      await this.relogin();
    } catch (err) {
      this.recordFailure(err, 'renewal failed');
      if (this.closed) return;
      // Renewal failed for good (expired or revoked token, Vault down): log in again, or retry later.
      try {
        await this.relogin();
      } catch {
        const delay = Math.max(1000, backoffDelay(this.policy, Math.min(this.auth.failures, 10)));
        this.renewTimer = setTimeout(() => void this.renewOrLogin(), delay);
        this.renewTimer.unref();
      }
    }
  }

  /** True when Vault rejects the token itself (expired/revoked), as opposed to a missing policy. */
  private async tokenRejected(): Promise<boolean> {
    try {
      await this.call(() => this.client.tokenLookupSelf());
      return false;
    } catch (err) {
      return statusOf(err) === 403;
    }
  }

  private call<T>(fn: () => Promise<T>): Promise<T> {
    return this.breaker.call(fn);
  }

  private async readToken(): Promise<string> {
    if (this.cfg.token) return this.cfg.token;
    if (this.cfg.token_file) return (await this.readRequired(this.cfg.token_file, 'token_file')).trim();
    throw new SecretsError(
      'SECRETS_BACKEND_MISCONFIGURED',
      'Vault token auth needs a token: set MIRA_VAULT_TOKEN / VAULT_TOKEN or secrets.vault.token_file (or choose auth_method approle | kubernetes)',
    );
  }

  private async credential(value: string | null, file: string | null, what: string): Promise<string> {
    if (value) return value;
    if (file) return (await this.readRequired(file, `${what}_file`)).trim();
    throw new SecretsError(
      'SECRETS_BACKEND_MISCONFIGURED',
      `Vault AppRole auth needs ${what}: set secrets.vault.${what} (MIRA_SECRETS__VAULT__${what.toUpperCase()}) or secrets.vault.${what}_file`,
    );
  }

  private requireRole(): string {
    if (this.cfg.kubernetes_role) return this.cfg.kubernetes_role;
    throw new SecretsError(
      'SECRETS_BACKEND_MISCONFIGURED',
      'Vault Kubernetes auth needs secrets.vault.kubernetes_role (MIRA_SECRETS__VAULT__KUBERNETES_ROLE)',
    );
  }

  private async readRequired(file: string, key: string): Promise<string> {
    try {
      return await readFile(file, 'utf8');
    } catch (err) {
      throw new SecretsError(
        'SECRETS_BACKEND_MISCONFIGURED',
        `secrets.vault.${key} ${file} cannot be read (${(err as NodeJS.ErrnoException).code}); fix the path or mount`,
      );
    }
  }

  private recordFailure(err: unknown, what: string): void {
    this.auth.failures++;
    this.auth.lastError = `${what}: ${briefly(err)}`;
    this.logger.warn?.(`Vault ${what}: ${briefly(err)}`);
  }

  private denied(ref: string): SecretsError {
    return new SecretsError(
      'SECRET_ACCESS_DENIED',
      `Vault denied reading ${ref} (403): grant the token's policy read on ${this.cfg.mount_point}/${this.cfg.kv_version === 2 ? 'data/' : ''}<name>`,
      { transient: false, status: 403 },
    );
  }

  private wrap(err: unknown, what: string): SecretsError {
    if (err instanceof SecretsError) return err;
    const status = statusOf(err);
    return new SecretsError('SECRETS_BACKEND_UNAVAILABLE', `Vault ${what} failed: ${briefly(err)}`, {
      transient: isTransient(err),
      status,
      cause: err,
    });
  }
}

function singleKey(data: Record<string, unknown>): string | undefined {
  const keys = Object.keys(data);
  return keys.length === 1 ? keys[0] : undefined;
}

/** Status and Vault's first error line (node-vault puts `errors[0]` in the message); never request data. */
function briefly(err: unknown): string {
  if (err instanceof SecretsError) return `${err.code}: ${err.message}`;
  const status = statusOf(err);
  const code = (err as { code?: unknown })?.code;
  const message = String((err as Error)?.message ?? err).slice(0, 200);
  return [status ?? (typeof code === 'string' ? code : undefined), message].filter(Boolean).join(': ');
}
