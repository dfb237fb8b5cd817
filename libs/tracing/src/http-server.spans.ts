import {
  context,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Span,
} from '@opentelemetry/api';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { activeTracing } from './tracing.sdk';

/** Paths whose requests never get a span: probes and scrapes would drown the real traffic. */
export const UNTRACED_PATH = /^\/(healthz(\/[a-z]*)?|metrics)(\?|$)/;

type Done = (err?: Error) => void;

/**
 * The HTTP server span of each request, opened in Fastify's first hook: it continues an incoming
 * W3C `traceparent`, is named after the route template (`POST /api/v1/workflows/:id/approve`,
 * never the raw URL), and is the active context for everything the request runs. Done here
 * rather than by the generic HTTP instrumentation, which costs far more per request whether the
 * trace is sampled or not (measured: bench/tracing.js). The app's HTTP edge registers the hooks,
 * and only when tracing is on (`httpServerSpans()` is null otherwise).
 */
export class HttpServerSpans {
  private readonly spans = new WeakMap<FastifyRequest, Span>();
  private readonly tracer = trace.getTracer('mira.http');

  readonly onRequest = (req: FastifyRequest, _reply: FastifyReply, done: Done): void => {
    if (UNTRACED_PATH.test(req.url)) return done();
    const parent = propagation.extract(ROOT_CONTEXT, req.headers);
    const route = req.routeOptions?.url;
    const span = this.tracer.startSpan(
      route ? `${req.method} ${route}` : req.method,
      {
        kind: SpanKind.SERVER,
        attributes: {
          'http.request.method': req.method,
          ...(route ? { 'http.route': route } : {}),
          'url.scheme': req.protocol,
          // The path only: query strings may carry tokens.
          'url.path': req.url.split('?', 1)[0],
          'network.protocol.version': req.raw.httpVersion,
          ...(req.headers['user-agent'] ? { 'user_agent.original': String(req.headers['user-agent']) } : {}),
        },
      },
      parent,
    );
    this.spans.set(req, span);
    context.with(trace.setSpan(parent, span), done);
  };

  readonly onResponse = (req: FastifyRequest, reply: FastifyReply, done: Done): void => {
    this.end(req, reply.statusCode);
    done();
  };

  readonly onRequestAbort = (req: FastifyRequest, done: Done): void => {
    this.end(req, null);
    done();
  };

  private end(req: FastifyRequest, status: number | null): void {
    const span = this.spans.get(req);
    if (!span) return;
    this.spans.delete(req);
    if (status === null) {
      span.setAttribute('error.type', 'aborted');
      span.setStatus({ code: SpanStatusCode.ERROR });
    } else {
      span.setAttribute('http.response.status_code', status);
      // Server spans are errors on 5xx only (4xx is the client's).
      if (status >= 500) {
        span.setAttribute('error.type', String(status));
        span.setStatus({ code: SpanStatusCode.ERROR });
      }
    }
    span.end();
  }
}

/** The server-span hooks when tracing is on, else null (nothing to hook). */
export function httpServerSpans(): HttpServerSpans | null {
  return activeTracing() ? new HttpServerSpans() : null;
}
