import type { LoggerService } from '@nestjs/common';
import type NodeVault from 'node-vault';
import { backoffDelay, withRetry, type RetryPolicy } from '../../resilience/secrets.retry';
import { statusOf } from '../../resilience/secrets.transient';
import { SecretsError } from '../../secrets.error';
import type { SecretsConfig } from '../../secrets.interface';
import { VaultCredentials } from './vault.credentials';
import { briefly, vaultError } from './vault.errors';

type VaultConfig = SecretsConfig['vault'];

/** Renew (or log in again) when this fraction of the token's TTL has passed. */
export const RENEW_AT_FRACTION = 2 / 3;
/** The largest delay setTimeout honours. */
const MAX_TIMER_MS = 2 ** 31 - 1;

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

/** The auth part of the `secrets` health check (no token, ever). */
export interface VaultAuthHealth {
  method: VaultConfig['auth_method'];
  token_ttl_seconds: number | null;
  renewable: boolean;
  logins: number;
  renewals: number;
  failures: number;
  last_error: string | null;
  last_login_at: string | null;
  last_renewal_at: string | null;
}

/** Runs a Vault API call through the backend's circuit breaker. */
export type VaultCall = <T>(fn: () => Promise<T>) => Promise<T>;

/**
 * The Vault token's life: log in (token from config or file, AppRole, or Kubernetes), look the TTL
 * up, renew at 2/3 of it, log in again when it cannot be renewed (any more), expired or was revoked.
 * Logins are coalesced (concurrent 403s share one) and retried with backoff. Sets `client.token`.
 */
export class VaultTokenLifecycle {
  private readonly credentials: VaultCredentials;
  private renewTimer: NodeJS.Timeout | null = null;
  private login: Promise<void> | null = null;
  private closed = false;
  private auth: AuthState;

  constructor(
    private readonly client: NodeVault.client,
    private readonly cfg: VaultConfig,
    private readonly policy: RetryPolicy,
    private readonly call: VaultCall,
    private readonly logger: LoggerService,
  ) {
    this.credentials = new VaultCredentials(cfg);
    this.auth = {
      method: cfg.auth_method,
      expiresAt: null,
      renewable: false,
      logins: 0,
      renewals: 0,
      failures: 0,
      lastError: null,
      lastLoginAt: null,
      lastRenewalAt: null,
    };
  }

  /** Why auth is degraded (expired token, failing renewal/login), or null. */
  problem(now = Date.now()): string | null {
    if (this.auth.expiresAt !== null && this.auth.expiresAt <= now)
      return 'Vault token expired; logging in again';
    if (this.auth.failures > 0)
      return `Vault token renewal/login failing (${this.auth.failures} attempts): ${this.auth.lastError}`;
    return null;
  }

  health(now = Date.now()): VaultAuthHealth {
    const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
    return {
      method: this.auth.method,
      token_ttl_seconds:
        this.auth.expiresAt === null ? null : Math.max(0, Math.round((this.auth.expiresAt - now) / 1000)),
      renewable: this.auth.renewable,
      logins: this.auth.logins,
      renewals: this.auth.renewals,
      failures: this.auth.failures,
      last_error: this.auth.lastError,
      last_login_at: iso(this.auth.lastLoginAt),
      last_renewal_at: iso(this.auth.lastRenewalAt),
    };
  }

  /** Logs in (coalesced: concurrent 403s share one login), retrying transient failures with backoff. */
  relogin(): Promise<void> {
    this.login ??= withRetry(() => this.loginOnce(), this.policy, {
      onRetry: (err, attempt, delay) => this.recordFailure(err, `login retry ${attempt} in ${delay} ms`),
    })
      .catch((err: unknown) => {
        this.recordFailure(err, 'login failed');
        throw err instanceof SecretsError ? err : vaultError(err, `logging in (${this.cfg.auth_method})`);
      })
      .finally(() => {
        this.login = null;
      });
    return this.login;
  }

  /** True when Vault rejects the token itself (expired/revoked), as opposed to a missing policy. */
  async tokenRejected(): Promise<boolean> {
    try {
      await this.call(() => this.client.tokenLookupSelf());
      return false;
    } catch (err) {
      return statusOf(err) === 403;
    }
  }

  close(): void {
    this.closed = true;
    if (this.renewTimer) clearTimeout(this.renewTimer);
    this.renewTimer = null;
  }

  private async loginOnce(): Promise<void> {
    const method = this.cfg.auth_method;
    let ttl: number;
    let renewable: boolean;
    if (method === 'token') {
      this.client.token = await this.credentials.token();
      const res = await this.call(() => this.client.tokenLookupSelf());
      ttl = Number(res?.data?.ttl ?? 0);
      renewable = Boolean(res?.data?.renewable);
    } else {
      const res =
        method === 'approle'
          ? await this.call(async () => this.client.approleLogin(await this.credentials.approle()))
          : await this.call(async () => this.client.kubernetesLogin(await this.credentials.kubernetes()));
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
    this.armRenewal(Date.now() + ttlSeconds * 1000 * RENEW_AT_FRACTION);
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
        // The retry policy's backoff, continued across attempts by the failure count.
        const delay = Math.max(1000, backoffDelay(this.policy, Math.min(this.auth.failures, 10)));
        this.renewTimer = setTimeout(() => void this.renewOrLogin(), delay);
        this.renewTimer.unref();
      }
    }
  }

  private recordFailure(err: unknown, what: string): void {
    this.auth.failures++;
    this.auth.lastError = `${what}: ${briefly(err)}`;
    this.logger.warn?.(`Vault ${what}: ${briefly(err)}`);
  }
}
