import { Injectable, Logger } from '@nestjs/common';
import { type OnShutdown, SHUTDOWN_PRIORITY, ShutdownHook } from '@mira/shutdown';
import { RedisConnections } from './redis-connections.service';

/**
 * In the connections band, after the broker (5) has drained and stopped its consumers, and
 * before the state store (15): nothing that still runs then needs Redis.
 */
export const REDIS_SHUTDOWN_PRIORITY = SHUTDOWN_PRIORITY.CONNECTIONS + 2;

@Injectable()
@ShutdownHook({ name: 'redis', priority: REDIS_SHUTDOWN_PRIORITY })
export class RedisShutdownHook implements OnShutdown {
  private readonly logger = new Logger('Redis');

  constructor(private readonly connections: RedisConnections) {}

  async onShutdown(): Promise<void> {
    const open = this.connections.clients().length;
    await this.connections.closeAll();
    if (open > 0) this.logger.log(`Redis connections closed (${open})`);
  }
}
