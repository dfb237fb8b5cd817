import { Injectable } from '@nestjs/common';
import { HealthIndicatorProvider, type HealthContributor, type HealthIndicatorResult } from '@mira/health';
import { RedisConnections } from './redis-connections.service';

/**
 * `redis` on /healthz (opt-in: `RedisModule.forRoot({ healthCheck: true, ... })`): degraded while
 * a handed-out client is not ready. Never fails readiness: its users degrade on their own terms
 * (the rate limiter counts in memory, the broker reports itself).
 */
@Injectable()
@HealthIndicatorProvider({ name: 'redis', readiness: false })
export class RedisHealthIndicator implements HealthContributor {
  constructor(private readonly connections: RedisConnections) {}

  check(): HealthIndicatorResult {
    if (!this.connections.enabled) return { status: 'healthy', configured: false };
    const clients = this.connections.clients();
    const down = clients.filter((c) => c.status !== 'ready' && c.status !== 'end');
    return {
      status: down.length > 0 ? 'degraded' : 'healthy',
      reason: down.length > 0 ? `not connected: ${down.map((c) => c.name).join(', ')}` : null,
      configured: true,
      url: this.connections.redactedUrl,
      clients: Object.fromEntries(clients.map((c) => [c.name, c.status])),
    };
  }
}
