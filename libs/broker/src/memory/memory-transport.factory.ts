import { Injectable } from '@nestjs/common';
import type { MiraConfig } from '@mira/config';
import { BrokerTransport } from '../broker.decorators';
import type { MessageBroker } from '../broker.interface';
import type { BrokerTransportContext, BrokerTransportFactory } from '../broker-transport.interface';
import { MemoryTransport } from './memory.transport';

@Injectable()
@BrokerTransport('memory')
export class MemoryTransportFactory implements BrokerTransportFactory {
  create({ config, propagator, observers }: BrokerTransportContext): MessageBroker {
    return new MemoryTransport({ queueSize: config.broker.queue_size, propagator, observers });
  }

  reconfigure(broker: MessageBroker, config: MiraConfig['broker']): boolean {
    if (!(broker instanceof MemoryTransport)) return false;
    broker.setQueueSize(config.queue_size);
    return true;
  }
}
