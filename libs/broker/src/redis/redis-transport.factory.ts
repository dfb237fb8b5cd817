import { Injectable } from '@nestjs/common';
import { BrokerTransport } from '../broker.decorators';
import type { MessageBroker } from '../broker.interface';
import type { BrokerTransportContext, BrokerTransportFactory } from '../broker-transport.interface';
import { redisTransportOptions } from './redis.options';
import { RedisTransport } from './redis.transport';

/** `broker.transport: redis`. No live reconfigure: connection and group settings apply after a restart. */
@Injectable()
@BrokerTransport('redis')
export class RedisTransportFactory implements BrokerTransportFactory {
  create({ config, propagator, observers }: BrokerTransportContext): MessageBroker {
    return new RedisTransport(redisTransportOptions(config.broker, { propagator, observers }));
  }
}
