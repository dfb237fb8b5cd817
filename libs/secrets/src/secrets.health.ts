import { Injectable } from '@nestjs/common';
import {
  HealthIndicatorProvider,
  worst,
  type HealthContributor,
  type HealthIndicatorResult,
} from '@mira/health';
import { SECRETS_HEALTH_NAME } from './secrets.constants';
import { SecretsService } from './secrets.service';

/**
 * `secrets`: healthy while reads succeed; degraded while last good values are served stale (after
 * backend errors, or because the secret was deleted or replaced by a directory or a broken link:
 * each named with why, with the age of the oldest), while a circuit is open or Vault auth is failing.
 * Names and counts only: no value ever appears here.
 */
@Injectable()
@HealthIndicatorProvider({ name: SECRETS_HEALTH_NAME })
export class SecretsHealthIndicator implements HealthContributor {
  constructor(private readonly secrets: SecretsService) {}

  check(): HealthIndicatorResult {
    const stats = this.secrets.stats();
    if (!this.secrets.isStarted)
      return { status: 'unhealthy', reason: 'secrets backend not started', backend: stats.backend };
    const backend = this.secrets.backendHealth();
    const {
      status: backendStatus = 'healthy',
      reason: backendReason = null,
      ...backendDetails
    } = backend ?? {};
    const stale = stats.stale > 0;
    const reasons = [
      stale
        ? `${stats.stale} secret value(s) served stale (last good value kept); oldest is ${stats.oldestStaleAgeSeconds}s old: ${stats.staleSecrets.map((s) => `${s.ref} (${s.reason})`).join('; ')}`
        : null,
      backendReason,
    ].filter(Boolean);
    return {
      status: worst([stale ? 'degraded' : 'healthy', backendStatus]),
      reason: reasons.length ? reasons.join('; ') : null,
      backend: stats.backend,
      cached: stats.cached,
      stale: stats.stale,
      oldest_stale_age_seconds: stats.oldestStaleAgeSeconds,
      stale_secrets: stats.staleSecrets,
      last_refresh_at: stats.lastRefreshAt,
      refreshes: stats.refreshes,
      ...backendDetails,
    };
  }
}
