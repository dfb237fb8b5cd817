import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorProvider, type HealthContributor, type HealthIndicatorResult } from '@mira/health';
import { MESSAGE_BROKER } from './broker.constants';
import type { MessageBroker } from './broker.interface';

/** `broker`: the transport's own health answer (connected, queue depth, lag...). */
@Injectable()
@HealthIndicatorProvider({ name: 'broker' })
export class BrokerHealthIndicator implements HealthContributor {
  constructor(@Inject(MESSAGE_BROKER) private readonly broker: MessageBroker) {}

  async check(): Promise<HealthIndicatorResult> {
    const h = await this.broker.health();
    return {
      status: h.status,
      reason: h.reason ?? null,
      transport: h.transport,
      connected: h.connected,
      ...h.details,
    };
  }
}
