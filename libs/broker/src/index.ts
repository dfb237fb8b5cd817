export { BrokerModule } from './broker.module';
export { BrokerService } from './broker.service';
export { MESSAGE_BROKER, BROKER_CONTEXT_PROPAGATOR, REPLY_TO_HEADER } from './broker.constants';
export { BrokerTransport, BrokerObserverProvider } from './broker.decorators';
export { BrokerError, type BrokerErrorCode } from './broker.error';
export { MemoryTransport, type MemoryTransportOptions } from './memory/memory.transport';
export type { BrokerTransportFactory, BrokerTransportContext } from './broker-transport.interface';
export type {
  BrokerMessage,
  MessageHandler,
  SubscribeOptions,
  PublishOptions,
  Subscription,
  BrokerStats,
  DrainResult,
  BrokerHealth,
  BrokerHealthStatus,
  MessageBroker,
  BrokerContextPropagator,
  BrokerObserver,
  BrokerMessageRef,
} from './broker.interface';
export { BrokerHealthIndicator } from './broker.health';
export { BrokerMetrics } from './metrics/broker.metrics';
export { MessageTypeLabels } from './metrics/message-type-labels';
export { RedisTransport } from './redis/redis.transport';
export { RedisTransportFactory } from './redis/redis-transport.factory';
export { RedisIdempotencyStore, idempotencyStoreOf } from './redis/redis.idempotency';
export { redisTransportOptions } from './redis/redis.options';
export type {
  RedisTransportOptions,
  RedisBrokerObserver,
  RedisBrokerStats,
  RedisGroupInfo,
  RedisHealthThresholds,
  DeadLetter,
  IdempotencyStore,
} from './redis/redis.interface';
export { brokerConfig, brokerSchema } from './broker.config';
export { brokerTransportNames } from './broker.config';
