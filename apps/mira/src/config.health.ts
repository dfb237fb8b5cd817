import { Injectable } from '@nestjs/common';
import { HealthIndicatorProvider, type HealthContributor, type HealthIndicatorResult } from '@mira/health';
import { ConfigStore } from '@mira/config';

/**
 * `configuration`: healthy while the last load or reload succeeded; degraded (last good kept)
 * otherwise. Provided by the app, not libs/config: the config lib imports no other lib.
 */
@Injectable()
@HealthIndicatorProvider({ name: 'configuration' })
export class ConfigHealthIndicator implements HealthContributor {
  constructor(private readonly store: ConfigStore) {}

  check(): HealthIndicatorResult {
    const s = this.store.status();
    return {
      status: s.status,
      reason: s.reason,
      file: s.file,
      loaded_at: s.loaded_at,
      reloads: s.reloads,
      pending_restart: s.pending_restart,
    };
  }
}
