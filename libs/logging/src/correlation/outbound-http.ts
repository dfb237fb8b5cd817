import { CORRELATION_HEADER } from '../logging.constants';
import { correlationHeaders, currentCorrelationId } from './correlation.context';

/**
 * Adds the current correlation id to outbound request headers (any shape fetch accepts);
 * a header the caller already set wins. Use it with fetch, node-vault's request options or
 * the Kubernetes client's middleware.
 */
export function withCorrelationHeaders(headers?: ConstructorParameters<typeof Headers>[0]): Headers {
  const out = new Headers(headers);
  const id = currentCorrelationId();
  if (id && !out.has(CORRELATION_HEADER)) out.set(CORRELATION_HEADER, id);
  return out;
}

/** Minimal structural types of an undici dispatch interceptor (no dependency on undici). */
type DispatchOptions = { headers?: unknown; [key: string]: unknown };
type Dispatch = (options: DispatchOptions, handler: unknown) => boolean;

/**
 * An undici interceptor: `new Agent().compose(correlationInterceptor)` (or
 * `getGlobalDispatcher().compose(...)` passed to `setGlobalDispatcher`) makes every request of
 * that dispatcher, global fetch included, forward the current id.
 */
export function correlationInterceptor(dispatch: Dispatch): Dispatch {
  return (options, handler) => {
    const extra = correlationHeaders();
    if (!extra[CORRELATION_HEADER]) return dispatch(options, handler);
    return dispatch(
      { ...options, headers: addHeader(options.headers, CORRELATION_HEADER, extra[CORRELATION_HEADER]) },
      handler,
    );
  };
}

function addHeader(headers: unknown, name: string, value: string): unknown {
  if (headers == null) return { [name]: value };
  if (Array.isArray(headers)) {
    // Flat [k1, v1, k2, v2] form.
    for (let i = 0; i < headers.length; i += 2) if (String(headers[i]).toLowerCase() === name) return headers;
    return [...(headers as unknown[]), name, value];
  }
  if (typeof (headers as Headers).has === 'function') {
    const h = new Headers(headers as Headers);
    if (!h.has(name)) h.set(name, value);
    return h;
  }
  const record = headers as Record<string, unknown>;
  if (Object.keys(record).some((k) => k.toLowerCase() === name)) return headers;
  return { ...record, [name]: value };
}
