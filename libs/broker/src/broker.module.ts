import { Global, Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { ClsContextPropagator } from '@mira/logging';
import { BROKER_CONTEXT_PROPAGATOR, MESSAGE_BROKER } from './broker.constants';
import { BrokerHealthIndicator } from './broker.health';
import { BrokerService } from './broker.service';
import { BrokerShutdownHook } from './broker.shutdown';
import { MemoryTransportFactory } from './memory/memory-transport.factory';
import { RedisTransportFactory } from './redis/redis-transport.factory';
import { ConfigModule } from '@mira/config';
import { brokerConfig } from './broker.config';

/**
 * Provides MESSAGE_BROKER. Transports are @BrokerTransport providers; a module adds one by
 * declaring it (the Redis transport lives in its own module file and loads ioredis lazily).
 */
@Global()
@Module({
  imports: [DiscoveryModule, ConfigModule.forFeature(brokerConfig)],
  providers: [
    MemoryTransportFactory,
    RedisTransportFactory,
    BrokerService,
    BrokerHealthIndicator,
    BrokerShutdownHook,
    { provide: MESSAGE_BROKER, useExisting: BrokerService },
    // Correlation context across the broker (headers at publish, a fresh CLS scope per delivery).
    { provide: BROKER_CONTEXT_PROPAGATOR, useClass: ClsContextPropagator },
  ],
  exports: [MESSAGE_BROKER, BrokerService],
})
export class BrokerModule {}
