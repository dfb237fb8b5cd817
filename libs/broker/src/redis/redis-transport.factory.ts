import { Inject, Injectable, Optional } from '@nestjs/common';
import { RedisConnections } from '@mira/redis';
import { BrokerTransport } from '../broker.decorators';
import type { MessageBroker } from '../broker.interface';
import type { BrokerTransportContext, BrokerTransportFactory } from '../broker-transport.interface';
import { redisTransportOptions } from './redis.options';
import { RedisTransport } from './redis.transport';

/** `broker.transport: redis`. No live reconfigure: connection and group settings apply after a restart. */
@Injectable()
@BrokerTransport('redis')
export class RedisTransportFactory implements BrokerTransportFactory {
  /** The shared connections (RedisModule), when the app has them: the transport's clients come from there. */
  constructor(
    @Optional() @Inject(RedisConnections) private readonly connections: RedisConnections | null = null,
  ) {}

  create({ config, propagator, observers }: BrokerTransportContext): MessageBroker {
    const connections = this.connections?.enabled ? this.connections : null;
    return new RedisTransport({
      ...redisTransportOptions(config.broker, { propagator, observers }),
      ...(connections
        ? { createClient: (role, options) => connections.create(`broker:${role}`, options) }
        : {}),
    });
  }
}
