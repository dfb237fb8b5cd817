import { Inject, Injectable, Logger } from '@nestjs/common';
import { type OnShutdown, type ShutdownContext, SHUTDOWN_PRIORITY, ShutdownHook } from '@mira/shutdown';
import { MESSAGE_BROKER } from './broker.constants';
import type { MessageBroker } from './broker.interface';

/** Margin kept from the hook's budget so the drop count is logged before the hook is cut. */
const MARGIN_MS = 250;

/**
 * Stops broker intake and lets in-flight handlers (and the memory transport's queue) finish
 * within the hook's budget; whatever is still queued then is counted and logged as dropped.
 */
@Injectable()
@ShutdownHook({ name: 'broker', priority: SHUTDOWN_PRIORITY.BROKER })
export class BrokerShutdownHook implements OnShutdown {
  private readonly logger = new Logger('Broker');

  constructor(@Inject(MESSAGE_BROKER) private readonly broker: MessageBroker) {}

  async onShutdown(context: ShutdownContext): Promise<void> {
    const before = this.broker.stats();
    this.logger.log(
      `Draining the broker: ${before.in_flight} handler(s) in flight, ${before.queued} message(s) queued`,
    );
    const result = await this.broker.drain(Math.max(0, context.budgetMs - MARGIN_MS));
    await this.broker.stop();
    const after = this.broker.stats();
    if (result.completed)
      this.logger.log(`Broker drained: ${after.delivered} delivered, ${after.failed} failed`);
    else
      this.logger.warn(
        `Broker drain ran out of time: ${result.in_flight} handler(s) still in flight, ` +
          `${after.dropped} queued message(s) dropped`,
      );
  }
}
