import { createServer, type RequestListener, type Server, type ServerOptions } from 'node:http';
import fastifyCookie from '@fastify/cookie';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyServerOptions } from 'fastify';
import type { MiraConfig } from '@mira/config';
import { HealthFastPath, HealthProbes } from '@mira/health';
import { CORRELATION_HEADER, correlationIdForRequest, httpLoggingHooks } from '@mira/logging';
import { HttpMetricsRecorder } from '@mira/metrics';
import { httpServerSpans } from '@mira/tracing';
import { contentTypePolicy } from '../security/content-type.policy';
import { boundedJsonSerializer } from '../security/edge-limits';
import {
  bodyParsers,
  corsOptions,
  jsonSecurityHeaders,
  securityHeadersHook,
} from '../security/http-hardening';
import { declareRouteGroup } from '../security/route-group';

/**
 * The HTTP edge: every Fastify hook, parser and server option of the service, in one place and in
 * the order they run. Libs export their hooks as functions (logging, tracing) or recorders
 * (metrics) and register nothing themselves, so the order below is the order, whatever order Nest
 * instantiates providers in.
 *
 * A plain function called by createApp rather than a Nest module: hooks must be on the Fastify
 * instance before Nest's init, and a provider's constructor or onModuleInit runs whenever Nest
 * gets to it, which is what made the order implicit before.
 *
 * The health fast path (answering probes on the Node server, before Fastify; `health.fast_path`)
 * is kept because it measurably matters (fast path on vs. off, same run, 2 cores, November 2026):
 * server CPU per probe 33 vs 61 us on /healthz/live and 52 vs 73 us on /healthz; bench/health.js
 * in the same session (req/s as a ratio to raw node:http): /healthz/live 0.56x vs 0.35x, /healthz
 * 0.71x vs 0.49x.
 */
export class HttpEdge {
  private readonly fastPath: HealthFastPath | null;

  constructor(private readonly config: MiraConfig) {
    this.fastPath = config.health.fast_path ? new HealthFastPath() : null;
  }

  /** Options of the FastifyAdapter that belong to the edge (the server the requests arrive on). */
  adapterOptions(): Pick<FastifyServerOptions, 'serverFactory'> {
    const fastPath = this.fastPath;
    if (!fastPath) return {};
    // The Node server's request listener gives the health fast path the first look. Only with the
    // fast path on: with a server factory Fastify binds one address per listen (`localhost` is
    // 127.0.0.1 or ::1, not both).
    return {
      serverFactory: (handler: RequestListener, opts: FastifyServerOptions) =>
        httpServer(fastPath.wrap(handler), opts),
    };
  }

  /** Registers the hooks and parsers on `app`'s Fastify instance; before init (createApp). */
  async register(app: NestFastifyApplication): Promise<void> {
    const fastify = app.getHttpAdapter().getInstance();
    const config = this.config;
    declareRouteGroup(fastify);

    // onRequest, in this order:
    // 1. Correlation id and CLS scope first, so every later hook, refusal and log line of the
    //    request carries the id, and a request refused by 2-6 still gets its access line.
    const logging = httpLoggingHooks(config.logging.access_log_exclude);
    fastify.addHook('onRequest', logging.onRequest);
    // 2. The server span (tracing on only) next: it is the active context for the rest of the
    //    request, refusals included; probes and scrapes are skipped inside.
    const spans = httpServerSpans();
    if (spans) fastify.addHook('onRequest', spans.onRequest);
    // 3. Cookie parsing (@fastify/cookie's own onRequest hook) for the inbox session; its value is
    //    encrypted by the inbox, so no signing secret here.
    await app.register(fastifyCookie as never);
    // 4. Security headers before any handler or refusal can answer, so every answer has them.
    fastify.addHook('onRequest', securityHeadersHook());
    // 5. CORS, only for the listed origins. Note: Nest's FastifyAdapter installs the CORS hook
    //    from its own constructor, so it really runs BEFORE hooks 1-4 whatever the order here: a
    //    preflight is answered there, before the content-type policy could refuse it, and carries
    //    no correlation id, span or security headers (as before this edge existed).
    const cors = corsOptions(config);
    if (cors) app.enableCors(cors);
    // 6. 415 for a non-JSON body on /api/* before the body is read.
    fastify.addHook('onRequest', contentTypePolicy);

    // Body parsing: JSON as Fastify's default parser, raw bytes for webhooks, 415 for the rest.
    const bodyLimit = config.server.body_limit_bytes;
    const parsers = bodyParsers(fastify, config);
    app.useBodyParser('application/json', { bodyLimit }, parsers.json as never);
    // Fastify's built-in text/plain parser would hand webhooks a decoded string, not the signed bytes.
    if (fastify.hasContentTypeParser('text/plain')) fastify.removeContentTypeParser('text/plain');
    app.useBodyParser('*', { bodyLimit }, parsers.other as never);
    // Answers serialised over `server.max_response_bytes` are refused (422) instead of sent.
    fastify.setReplySerializer(boundedJsonSerializer(config.server.max_response_bytes));

    // onResponse / onRequestAbort: the access line, then the request metrics, then the span's
    // end (independent of each other; the span last so it covers the other two).
    fastify.addHook('onResponse', logging.onResponse);
    fastify.addHook('onRequestAbort', logging.onRequestAbort);
    const metrics = app.get(HttpMetricsRecorder);
    fastify.addHook('onResponse', (req, reply, done) => {
      metrics.record(req, reply);
      done();
    });
    if (spans) {
      fastify.addHook('onResponse', spans.onResponse);
      fastify.addHook('onRequestAbort', spans.onRequestAbort);
    }
  }

  /**
   * Starts answering probes on the fast path (when on). Probes skip the API pipeline but keep the
   * security headers of JSON answers; switched off, the health controller answers them through
   * Fastify (access log and request metrics included).
   */
  attachFastPath(app: NestFastifyApplication): void {
    const fastPath = this.fastPath;
    if (!fastPath) return;
    const cors = this.config.api.cors_origins.length > 0;
    fastPath.attach(app.get(HealthProbes), {
      headers: jsonSecurityHeaders(),
      requestId: { header: CORRELATION_HEADER, of: correlationIdForRequest },
      // Browser requests (an Origin header) get their CORS answer from Fastify; probes send none.
      passThrough: cors ? (req) => req.headers.origin !== undefined : undefined,
    });
    // preClose: once the application closes, probes meet Fastify's closing behaviour
    // (Connection: close) instead of answers from providers being torn down.
    app
      .getHttpAdapter()
      .getInstance()
      .addHook('preClose', (done) => {
        fastPath.detach();
        done();
      });
  }
}

/** The HTTP/1 server Fastify would create itself, with its timeouts, around `listener`. */
function httpServer(listener: RequestListener, opts: FastifyServerOptions): Server {
  // `http` is Fastify's pass-through of node:http server options (absent from its option type).
  const server = createServer((opts as { http?: ServerOptions }).http ?? {}, listener);
  server.keepAliveTimeout = opts.keepAliveTimeout!;
  server.requestTimeout = opts.requestTimeout!;
  server.setTimeout(opts.connectionTimeout ?? 0);
  if ((opts.maxRequestsPerSocket ?? 0) > 0) server.maxRequestsPerSocket = opts.maxRequestsPerSocket!;
  return server;
}
