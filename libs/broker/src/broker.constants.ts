/** Inject the active transport with `@Inject(MESSAGE_BROKER) broker: MessageBroker`. */
export const MESSAGE_BROKER = Symbol('mira:MESSAGE_BROKER');
/** Optional: a BrokerContextPropagator (the logging module provides the CLS one). */
export const BROKER_CONTEXT_PROPAGATOR = Symbol('mira:BROKER_CONTEXT_PROPAGATOR');
/** Optional multi-observer hook: the metrics module registers one. */
export const BROKER_OBSERVERS = Symbol('mira:BROKER_OBSERVERS');
/** Metadata key of @BrokerTransport(name) on transport factories. */
export const BROKER_TRANSPORT_METADATA = 'mira:broker-transport';
/**
 * Header naming the message a publish answers. A draining broker still accepts such replies
 * (they finish work it already accepted) while refusing new work.
 */
export const REPLY_TO_HEADER = 'x-mira-reply-to';
