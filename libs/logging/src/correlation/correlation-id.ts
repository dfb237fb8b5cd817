import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { CORRELATION_HEADER, REQUEST_ID_HEADER, TRACEPARENT_HEADER } from '../logging.constants';

export const MAX_CORRELATION_ID_LENGTH = 128;
// Printable, log-safe and header-safe: no spaces, quotes, newlines or control characters.
const VALID_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const TRACEPARENT = /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/;
const ZERO_TRACE = '0'.repeat(32);

export function isValidCorrelationId(value: unknown): value is string {
  return typeof value === 'string' && value.length <= MAX_CORRELATION_ID_LENGTH && VALID_ID.test(value);
}

export function generateCorrelationId(): string {
  return randomUUID();
}

/** The trace id of a W3C `traceparent` header, or undefined when it is malformed. */
export function traceIdFromTraceparent(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length > 64) return undefined;
  const m = TRACEPARENT.exec(value.trim());
  return m && m[1] !== ZERO_TRACE ? m[1] : undefined;
}

/**
 * x-correlation-id, else x-request-id, else the traceparent's trace id; the first one present
 * decides. A present but invalid value (too long, newlines, odd characters) is replaced by a
 * fresh id rather than trusted or logged.
 */
export function correlationIdFromHeaders(
  headers: IncomingHttpHeaders | Readonly<Record<string, unknown>>,
): string {
  const explicit = headers[CORRELATION_HEADER] ?? headers[REQUEST_ID_HEADER];
  if (explicit !== undefined) return isValidCorrelationId(explicit) ? explicit : generateCorrelationId();
  const parent = headers[TRACEPARENT_HEADER];
  if (parent !== undefined) return traceIdFromTraceparent(parent) ?? generateCorrelationId();
  return generateCorrelationId();
}

const REQ_CORRELATION = Symbol('mira:correlation-id');

/** The request's correlation id, computed once per request and cached on the raw request. */
export function correlationIdForRequest(req: { headers: IncomingHttpHeaders }): string {
  const r = req as { headers: IncomingHttpHeaders; [REQ_CORRELATION]?: string };
  return (r[REQ_CORRELATION] ??= correlationIdFromHeaders(r.headers));
}
