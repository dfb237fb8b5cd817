import type { ServerOptions } from 'node:http';
import { Logger as NestLogger, StandardSchemaValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyServerOptions } from 'fastify';
import { Logger } from 'nestjs-pino';
import { loadConfig, type MiraConfig } from '@mira/config';
import { correlationIdForRequest } from '@mira/logging';
import { ApiExceptionFilter } from './api/api-exception.filter';
import { AppModule, type AppModuleOptions } from './app.module';
import { BootstrapQuietLogger, bootstrapLoggers } from './bootstrap.logger';
import { setupOpenApi } from './openapi/openapi.setup';
import { HttpEdge } from './edge/http-edge';

/** Node's own default; kept unless the request timeout is shorter. */
const NODE_HEADERS_TIMEOUT_MS = 60000;

/**
 * Builds the configured application (adapter, logger, validation, error shape) without
 * listening; main.ts and the e2e tests share it so tests exercise the real setup.
 */
export async function createApp(options: AppModuleOptions = {}): Promise<NestFastifyApplication> {
  const loaded = options.config?.preloaded ?? loadConfig(options.config);
  const server = loaded.config.server;
  const edge = new HttpEdge(loaded.config);
  const adapter = new FastifyAdapter({
    bodyLimit: server.body_limit_bytes,
    ...serverTimeouts(server),
    // request.ip (rate limits, access log) is the client from X-Forwarded-For only behind trusted proxies.
    trustProxy: server.trust_proxy,
    return503OnClosing: false,
    // The request id is the validated correlation id (x-correlation-id / x-request-id / traceparent).
    genReqId: correlationIdForRequest,
    ...edge.adapterOptions(),
  });
  let app: NestFastifyApplication;
  try {
    app = await NestFactory.create<NestFastifyApplication>(
      AppModule.register({ ...options, config: { ...options.config, preloaded: loaded } }),
      adapter,
      // No rawBody copy on every request: webhook routes get the exact bytes received as their body
      // (see HttpEdge's body parsers), which is what their signatures are checked on.
      // Nest's buffered start-up lines go out through the quiet logger below; when the start fails,
      // not at all (autoFlushLogs would print them, and the error with its stack, in Nest's own
      // coloured format before main.ts's one `mira: fatal:` line).
      { bufferLogs: true, autoFlushLogs: false, abortOnError: false, rawBody: false },
    );
  } catch (err) {
    // The buffer is static: left attached, a process that goes on (a test worker) would hold every
    // later Nest line and replay this failed start's lines into the next app's logger.
    NestLogger.detachBuffer();
    (NestLogger as unknown as { logBuffer: unknown[] }).logBuffer = [];
    throw err;
  }
  const logger = new BootstrapQuietLogger(app.get(Logger));
  bootstrapLoggers.set(app, logger);
  app.useLogger(logger);
  app.flushLogs();
  app.useGlobalPipes(new StandardSchemaValidationPipe());
  app.useGlobalFilters(new ApiExceptionFilter({ bodyLimitBytes: server.body_limit_bytes }));
  // Every hook and parser of the HTTP edge, in its one order (see HttpEdge).
  await edge.register(app);
  setupOpenApi(app);
  edge.attachFastPath(app);
  return app;
}

/**
 * Timeouts that cut slow clients, for both server paths (Fastify's own server, or the HTTP
 * edge's server with the fast path): Fastify sets requestTimeout and the socket idle timeout (connectionTimeout)
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
