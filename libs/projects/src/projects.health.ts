import { Injectable, Optional, type OnApplicationBootstrap } from '@nestjs/common';
import { HealthService, type HealthIndicatorResult } from '@mira/health';
import { ConnectorRegistry } from './connectors/connector.registry';
import { SyncService } from './sync/sync.service';

/**
 * One check per connector, `connector_<kind>`: degraded when the last sync of one of its sources
 * failed on this replica (naming the project and source, with the error's fixing hint, never a
 * credential) or when the tracker said no calls are left. Never fails readiness.
 */
@Injectable()
export class ProjectsHealth implements OnApplicationBootstrap {
  constructor(
    private readonly connectors: ConnectorRegistry,
    private readonly syncs: SyncService,
    @Optional() private readonly health?: HealthService,
  ) {}

  onApplicationBootstrap(): void {
    for (const kind of this.connectors.kinds())
      this.health?.register(
        { name: `connector_${kind}`, readiness: false },
        { check: () => this.check(kind) },
      );
  }

  check(kind: string): HealthIndicatorResult {
    const state = this.syncs.stateOf(kind);
    const failing = [...state.failing].map(([source, error]) => ({ source, error }));
    const exhausted = state.remaining === 0;
    const reasons = [
      ...failing.map((f) => `last sync of ${f.source} failed`),
      ...(exhausted ? [`${kind} rate limit exhausted`] : []),
    ];
    return {
      status: reasons.length ? 'degraded' : 'healthy',
      reason: reasons.length ? reasons.join('; ') : null,
      failing,
      rate_limit_remaining: state.remaining,
    };
  }
}
