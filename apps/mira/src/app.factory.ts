import { createServer, type RequestListener, type Server, type ServerOptions } from 'node:http';
import { StandardSchemaValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyServerOptions } from 'fastify';
import { Logger } from 'nestjs-pino';
import { loadConfig, type MiraConfig } from '@mira/config';
import { HealthFastPath, HealthProbes } from '@mira/health';
import { CORRELATION_HEADER, correlationIdForRequest } from '@mira/logging';
import { ApiExceptionFilter } from './api/api-exception.filter';
import { AppModule, type AppModuleOptions } from './app.module';
import { setupOpenApi } from './openapi/openapi.setup';
import { applyHttpHardening, jsonSecurityHeaders } from './security/http-hardening';

/** Node's own default; kept unless the request timeout is shorter. */
const NODE_HEADERS_TIMEOUT_MS = 60000;

/**
 * Builds the configured application (adapter, logger, validation, error shape) without
 * listening; main.ts and the e2e tests share it so tests exercise the real setup.
 */
export async function createApp(options: AppModuleOptions = {}): Promise<NestFastifyApplication> {
  const loaded = options.config?.preloaded ?? loadConfig(options.config);
  const server = loaded.config.server;
  const fastPath = new HealthFastPath();
  const fastPathOn = loaded.config.health.fast_path;
  const adapter = new FastifyAdapter({
    bodyLimit: server.body_limit_bytes,
    ...serverTimeouts(server),
    // request.ip (rate limits, access log) is the client from X-Forwarded-For only behind trusted proxies.
    trustProxy: server.trust_proxy,
    return503OnClosing: false,
    // The request id is the validated correlation id (x-correlation-id / x-request-id / traceparent).
    genReqId: correlationIdForRequest,
    // The Node server's request listener gives the health fast path the first look (see below).
    // Only with the fast path on: with a server factory Fastify binds one address per listen
    // (`localhost` is 127.0.0.1 or ::1, not both).
    ...(fastPathOn
      ? {
          serverFactory: (handler: RequestListener, opts: FastifyServerOptions) =>
            httpServer(fastPath.wrap(handler), opts),
        }
      : {}),
  });
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.register({ ...options, config: { ...options.config, preloaded: loaded } }),
    adapter,
    // No rawBody copy on every request: webhook routes get the exact bytes received as their body
    // (see applyHttpHardening), which is what their signatures are checked on.
    { bufferLogs: true, abortOnError: false, rawBody: false },
  );
  app.useLogger(app.get(Logger));
  app.useGlobalPipes(new StandardSchemaValidationPipe());
  app.useGlobalFilters(new ApiExceptionFilter());
  await applyHttpHardening(app, loaded.config);
  setupOpenApi(app);
  // Probes skip the API pipeline but keep the security headers of JSON answers; switched off, the
  // health controller answers them through Fastify (access log and request metrics included).
  if (fastPathOn) {
    const cors = loaded.config.api.cors_origins.length > 0;
    fastPath.attach(app.get(HealthProbes), {
      headers: jsonSecurityHeaders(),
      requestId: { header: CORRELATION_HEADER, of: correlationIdForRequest },
      // Browser requests (an Origin header) get their CORS answer from Fastify; probes send none.
      passThrough: cors ? (req) => req.headers.origin !== undefined : undefined,
    });
    // Once the application closes, probes meet Fastify's closing behaviour (Connection: close)
    // instead of answers from providers being torn down.
    app
      .getHttpAdapter()
      .getInstance()
      .addHook('preClose', (done) => {
        fastPath.detach();
        done();
      });
  }
  return app;
}

/**
 * Timeouts that cut slow clients, for both server paths (Fastify's own server, or httpServer()
 * with the fast path): Fastify sets requestTimeout and the socket idle timeout (connectionTimeout)
 * on the Node server, and hands `http` to its constructor. Node checks requestTimeout and
 * headersTimeout only every connectionsCheckingInterval (30 s by default), so that follows the
 * timeouts; headersTimeout may not exceed requestTimeout.
 */
export function serverTimeouts(
  server: MiraConfig['server'],
): Pick<FastifyServerOptions, 'requestTimeout' | 'connectionTimeout'> & { http: ServerOptions } {
  const request = server.request_timeout_ms;
  const headers = request > 0 ? Math.min(NODE_HEADERS_TIMEOUT_MS, request) : NODE_HEADERS_TIMEOUT_MS;
  return {
    requestTimeout: request,
    connectionTimeout: server.idle_timeout_ms,
    http: {
      requestTimeout: request,
      headersTimeout: headers,
      connectionsCheckingInterval: Math.min(Math.max(Math.floor(headers / 4), 100), 30000),
    },
  };
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
