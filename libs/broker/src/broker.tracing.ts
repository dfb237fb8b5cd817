import {
  context,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  TraceFlags,
  type Span,
} from '@opentelemetry/api';
import type { BrokerMessage } from './broker.interface';

// Standard messaging attribute names (OpenTelemetry semantic conventions, messaging.*).
const SYSTEM = 'messaging.system';
const OPERATION_TYPE = 'messaging.operation.type';
const OPERATION_NAME = 'messaging.operation.name';
const DESTINATION = 'messaging.destination.name';
const MESSAGE_ID = 'messaging.message.id';

const tracer = trace.getTracer('mira.broker');

/**
 * True once an SDK registered a propagator (tracing on). With tracing off the publish and
 * delivery paths skip span work entirely: the broker's hot path pays one function call.
 */
export function tracingOn(): boolean {
  // Checked per message: the API's global slot is empty until an SDK registers a propagator, and
  // reading it is one property load, where fields() walks the API and allocates an array.
  const global = (globalThis as Record<symbol, { propagation?: unknown } | undefined>)[OTEL_API_GLOBAL];
  return global?.propagation !== undefined && propagation.fields().length > 0;
}

/** Where @opentelemetry/api (major 1) keeps its registered globals (its internal global-utils). */
const OTEL_API_GLOBAL = Symbol.for('opentelemetry.js.api.1');

/**
 * Opens the producer span of a publish and returns the headers to store: a copy with its W3C
 * `traceparent`/`tracestate`, so the consumer's span, in this replica or another, becomes its
 * child. With tracing off: no span and the same headers object.
 */
export function startPublishSpan<H extends Readonly<Record<string, string>> | undefined>(
  system: string,
  type: string,
  headers: H,
): { span: Span | null; headers: H | Record<string, string> } {
  if (!tracingOn()) return { span: null, headers };
  const active = trace.getActiveSpan();
  if (active && !active.isRecording()) {
    // An unsampled trace: no span, but the context (sampled flag off) still travels, so the
    // consumer's side is not sampled either.
    const carrier: Record<string, string> = { ...headers };
    propagation.inject(context.active(), carrier);
    return { span: null, headers: carrier };
  }
  const span = tracer.startSpan(`send ${type}`, {
    kind: SpanKind.PRODUCER,
    attributes: {
      [SYSTEM]: system,
      [OPERATION_TYPE]: 'send',
      [OPERATION_NAME]: 'publish',
      [DESTINATION]: type,
      'mira.message.type': type,
    },
  });
  const carrier: Record<string, string> = { ...headers };
  propagation.inject(trace.setSpan(context.active(), span), carrier);
  return { span, headers: carrier };
}

export function endPublishSpan(span: Span | null, id: string | null, err?: unknown): void {
  if (!span) return;
  if (id) span.setAttribute(MESSAGE_ID, id);
  if (err !== undefined) failSpan(span, err);
  span.end();
}

function failSpan(span: Span, err: unknown): void {
  span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error)?.name ?? 'Error' });
  // The error type, not its message: messages may quote data.
  span.setAttribute('error.type', (err as { code?: string })?.code ?? (err as Error)?.name ?? 'Error');
}

/**
 * Runs a delivery inside a consumer span whose parent is the producer span named by the
 * message's `traceparent` header; ends it when the handler settles (a thenable result included).
 */
export function traceDelivery(system: string, message: BrokerMessage<unknown>, run: () => unknown): unknown {
  if (!tracingOn()) return run();
  const parent = propagation.extract(ROOT_CONTEXT, message.headers);
  const remote = trace.getSpanContext(parent);
  // The publisher's trace was not sampled: nothing under it will be; keep its context only.
  if (remote && (remote.traceFlags & TraceFlags.SAMPLED) === 0) return context.with(parent, run);
  const span = tracer.startSpan(
    `process ${message.type}`,
    {
      kind: SpanKind.CONSUMER,
      attributes: {
        [SYSTEM]: system,
        [OPERATION_TYPE]: 'process',
        [OPERATION_NAME]: 'process',
        [DESTINATION]: message.type,
        [MESSAGE_ID]: message.id,
        'mira.message.type': message.type,
      },
    },
    parent,
  );
  let result: unknown;
  try {
    result = context.with(trace.setSpan(parent, span), run);
  } catch (err) {
    failSpan(span, err);
    span.end();
    throw err;
  }
  if (
    result !== null &&
    typeof result === 'object' &&
    typeof (result as PromiseLike<unknown>).then === 'function'
  ) {
    (result as PromiseLike<unknown>).then(
      () => span.end(),
      (err: unknown) => {
        failSpan(span, err);
        span.end();
      },
    );
  } else span.end();
  return result;
}
