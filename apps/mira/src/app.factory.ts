import { StandardSchemaValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger } from 'nestjs-pino';
import { loadConfig } from '@mira/config';
import { correlationIdForRequest } from '@mira/logging';
import { ApiExceptionFilter } from './api/api-exception.filter';
import { AppModule, type AppModuleOptions } from './app.module';
import { setupOpenApi } from './openapi/openapi.setup';
import { applyHttpHardening } from './security/http-hardening';

/**
 * Builds the configured application (adapter, logger, validation, error shape) without
 * listening; main.ts and the e2e tests share it so tests exercise the real setup.
 */
export async function createApp(options: AppModuleOptions = {}): Promise<NestFastifyApplication> {
  const loaded = options.config?.preloaded ?? loadConfig(options.config);
  const server = loaded.config.server;
  const adapter = new FastifyAdapter({
    bodyLimit: server.body_limit_bytes,
    return503OnClosing: false,
    // The request id is the validated correlation id (x-correlation-id / x-request-id / traceparent).
    genReqId: correlationIdForRequest,
  });
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.register({ ...options, config: { ...options.config, preloaded: loaded } }),
    adapter,
    // rawBody: webhook signatures are checked on the exact bytes received (see applyHttpHardening).
    { bufferLogs: true, abortOnError: false, rawBody: true },
  );
  app.useLogger(app.get(Logger));
  app.useGlobalPipes(new StandardSchemaValidationPipe());
  app.useGlobalFilters(new ApiExceptionFilter());
  await applyHttpHardening(app, loaded.config);
  setupOpenApi(app);
  return app;
}
