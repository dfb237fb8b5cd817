import { Injectable } from '@nestjs/common';
import { HealthService } from '@mira/health';
import { type OnShutdown, SHUTDOWN_PRIORITY, ShutdownHook } from '@mira/shutdown';

/**
 * The first step of every shutdown: readiness answers 503 so load balancers stop sending
 * traffic. Lives in the app because health and shutdown know nothing of each other.
 */
@Injectable()
@ShutdownHook({ name: 'readiness', priority: SHUTDOWN_PRIORITY.READINESS })
export class ReadinessShutdownHook implements OnShutdown {
  constructor(private readonly health: HealthService) {}

  onShutdown(): void {
    this.health.markShuttingDown();
  }
}
