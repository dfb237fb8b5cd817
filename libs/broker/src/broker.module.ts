import { Global, Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { MESSAGE_BROKER } from './broker.constants';
import { BrokerHealthIndicator } from './broker.health';
import { BrokerService } from './broker.service';
import { MemoryTransportFactory } from './memory/memory-transport.factory';

/**
 * Provides MESSAGE_BROKER. Transports are @BrokerTransport providers; a module adds one by
 * declaring it (the Redis transport lives in its own module file and loads ioredis lazily).
 */
@Global()
@Module({
  imports: [DiscoveryModule],
  providers: [
    MemoryTransportFactory,
    BrokerService,
    BrokerHealthIndicator,
    { provide: MESSAGE_BROKER, useExisting: BrokerService },
  ],
  exports: [MESSAGE_BROKER, BrokerService],
})
export class BrokerModule {}
