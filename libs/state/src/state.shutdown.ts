import { Inject, Injectable, Logger } from '@nestjs/common';
import { type OnShutdown, SHUTDOWN_PRIORITY, ShutdownHook } from '@mira/shutdown';
import { STATE_STORE } from './state.constants';
import type { StateStore } from './state.interface';

/**
 * Between the broker (5, handlers may still record decisions while it drains) and the other
 * connection hooks' band end: the store closes after the last handler that could write to it.
 */
export const STATE_SHUTDOWN_PRIORITY = SHUTDOWN_PRIORITY.CONNECTIONS + 5;

@Injectable()
@ShutdownHook({ name: 'state', priority: STATE_SHUTDOWN_PRIORITY })
export class StateShutdownHook implements OnShutdown {
  private readonly logger = new Logger('StateStore');

  constructor(@Inject(STATE_STORE) private readonly store: StateStore) {}

  async onShutdown(): Promise<void> {
    await this.store.close();
    this.logger.log(`State store closed (${this.store.backend})`);
  }
}
