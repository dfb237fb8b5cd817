import { type Attributes, SpanStatusCode, trace } from '@opentelemetry/api';

const tracer = trace.getTracer('mira.agents');
/** Where @opentelemetry/api (major 1) keeps its registered globals (its internal global-utils). */
const OTEL_API_GLOBAL = Symbol.for('opentelemetry.js.api.1');

/**
 * Runs `fn` in a child span of the active one (routing, an agent's processing, a workflow step,
 * an approval decision). Attributes are ids and types only, never message data. With tracing
 * off the API's no-op tracer makes this a plain call.
 */
export function inSpan<T>(name: string, attributes: Attributes, fn: () => Promise<T>): Promise<T> {
  // No tracer provider registered (tracing off): the API's no-op tracer would build a span, a
  // context and an async wrapper per call for nothing.
  if ((globalThis as Record<symbol, { trace?: unknown } | undefined>)[OTEL_API_GLOBAL]?.trace === undefined)
    return fn();
  // Inside a trace the sampler dropped, no child can be sampled (parent-based sampling): skip
  // the span and its context switch, so unsampled requests cost next to nothing.
  const parent = trace.getActiveSpan();
  if (parent && !parent.isRecording()) return fn();
  return tracer.startActiveSpan(name, { attributes }, async (span) => {
    try {
      return await fn();
    } catch (err) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error)?.name ?? 'Error' });
      span.setAttribute('error.type', (err as { code?: string })?.code ?? (err as Error)?.name ?? 'Error');
      throw err;
    } finally {
      span.end();
    }
  });
}

/** Marks the active span as failed with an agent's error status (the envelope's status, not its text). */
export function markOutcome(status: string): void {
  const span = trace.getActiveSpan();
  if (!span) return;
  span.setAttribute('mira.response.status', status);
  if (status === 'error') span.setStatus({ code: SpanStatusCode.ERROR });
}
