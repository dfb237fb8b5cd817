import type { Attributes, Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { maskCredentialParams, maskCredentialUrl, maskCredentialUrls } from '@mira/config';
import { isQueryRedactedPath } from '@mira/logging';

/** Attributes holding a whole URL (old and new HTTP semantic conventions), a target, a query. */
const FULL_URL = ['url.full', 'http.url'];
const TARGET = ['http.target'];
const QUERY = 'url.query';
const REDACTED = '[REDACTED]';

function pathOf(target: string): string {
  const q = target.search(/[?#]/);
  return q === -1 ? target : target.slice(0, q);
}

/** A path + query: the whole query of a redacted path (the OIDC callback) goes; elsewhere credential params. */
function maskTarget(target: string): string {
  const q = target.indexOf('?');
  if (q === -1) return target;
  const path = target.slice(0, q);
  return isQueryRedactedPath(path)
    ? `${path}?${REDACTED}`
    : `${path}?${maskCredentialParams(target.slice(q + 1))}`;
}

function maskFull(url: string): string {
  const masked = maskCredentialUrl(url);
  // `[\s\S]*` (not `.*`): a newline must not make the anchored match fail and backtrack.
  const m = /^([a-z][a-z0-9+.-]*:\/\/[^/?#\s]*)([\s\S]*)$/i.exec(masked);
  return m ? m[1] + maskTarget(m[2]) : maskTarget(masked);
}

/**
 * In place: text that may quote a URL with its credentials: the status message and every string
 * attribute of the span's events (`exception.message`, `exception.stacktrace` of recordException).
 * maskCredentialUrls returns at once when there is no `://`, so spans without URLs cost one scan.
 */
export function scrubSpanText(span: ReadableSpan): void {
  const status = span.status as { message?: string };
  if (typeof status?.message === 'string') status.message = maskCredentialUrls(status.message);
  for (const event of span.events) {
    const attributes = event.attributes as Attributes | undefined;
    if (!attributes) continue;
    for (const [key, value] of Object.entries(attributes))
      if (typeof value === 'string') attributes[key] = maskCredentialUrls(value);
  }
}

/**
 * Scrubs URL attributes of every span before it is exported, as the access log does for its lines:
 * the OIDC callback's query (code, state) and any path registered with redactQueryString lose their
 * whole query; elsewhere user info and credential-named parameters (`token`, `key`, `secret`,
 * `sig`, `password`, ...) are masked. Covers the HTTP instrumentation's `http.url` / `url.full` /
 * `http.target` / `url.query` and whatever a module's own spans set under those names, plus URLs
 * quoted in the status message and in events (exceptions).
 */
export class UrlRedactingSpanProcessor implements SpanProcessor {
  constructor(private readonly inner: SpanProcessor) {}

  onStart(span: Span, parentContext: Context): void {
    this.inner.onStart(span, parentContext);
  }

  onEnd(span: ReadableSpan): void {
    scrubUrlAttributes(span.attributes as Attributes);
    scrubSpanText(span);
    this.inner.onEnd(span);
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush();
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }
}

/** In place: the span's own attribute map, before any exporter sees it. */
export function scrubUrlAttributes(attributes: Attributes): void {
  for (const key of FULL_URL) {
    const v = attributes[key];
    if (typeof v === 'string') attributes[key] = maskFull(v);
  }
  for (const key of TARGET) {
    const v = attributes[key];
    if (typeof v === 'string') attributes[key] = maskTarget(v);
  }
  const query = attributes[QUERY];
  if (typeof query === 'string') {
    const path = attributes['url.path'];
    attributes[QUERY] =
      typeof path === 'string' && isQueryRedactedPath(pathOf(path))
        ? REDACTED
        : maskCredentialParams(query.replace(/^\?/, ''));
  }
}
