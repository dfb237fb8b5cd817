import { Global, Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { ClsContextPropagator } from '@mira/logging';
import { metricsCollector } from '@mira/metrics';
import { BROKER_CONTEXT_PROPAGATOR, MESSAGE_BROKER } from './broker.constants';
import { BrokerHealthIndicator } from './broker.health';
import { BrokerService } from './broker.service';
import { BrokerShutdownHook } from './broker.shutdown';
import { MemoryTransportFactory } from './memory/memory-transport.factory';
import { BrokerMetrics } from './metrics/broker.metrics';
import { MessageTypeLabels } from './metrics/message-type-labels';
import { RedisTransportFactory } from './redis/redis-transport.factory';
import { ConfigModule } from '@mira/config';
import { brokerConfig } from './broker.config';

/**
 * Provides MESSAGE_BROKER. Transports are @BrokerTransport providers; a module adds one by
 * declaring it (the memory and Redis factories are declared here; the Redis transport imports
 * ioredis only when it starts). Its series go into the app's MetricsService when there is one.
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
    MessageTypeLabels,
    metricsCollector(BrokerMetrics, [MessageTypeLabels, MESSAGE_BROKER]),
    { provide: MESSAGE_BROKER, useExisting: BrokerService },
    // Correlation context across the broker (headers at publish, a fresh CLS scope per delivery).
    { provide: BROKER_CONTEXT_PROPAGATOR, useClass: ClsContextPropagator },
  ],
  exports: [MESSAGE_BROKER, BrokerService, MessageTypeLabels],
})
export class BrokerModule {}
