import type { MiraConfig } from '@mira/config';
import type { BrokerContextPropagator, BrokerObserver, MessageBroker } from './broker.interface';

export interface BrokerTransportContext {
  config: MiraConfig;
  propagator: BrokerContextPropagator | null;
  observers: BrokerObserver[];
}

/**
 * One per transport, decorated with @BrokerTransport('<name>'). `create` may load the
 * transport's SDK lazily so that unused transports cost nothing.
 */
export interface BrokerTransportFactory {
  create(context: BrokerTransportContext): MessageBroker | Promise<MessageBroker>;
  /** Applies a live config change to a transport this factory created; false means "restart needed". */
  reconfigure?(broker: MessageBroker, config: MiraConfig['broker']): boolean;
}
