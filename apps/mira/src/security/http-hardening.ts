import helmet, { type HelmetOptions } from 'helmet';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyRequest } from 'fastify';
import type { MiraConfig } from '@mira/config';
import { contentTypePolicy } from './content-type.policy';
import { routeGroup } from './route-group';

type Done = (err: Error | null, body?: unknown) => void;

/**
 * Helmet's response headers, computed once. None of them depends on the request (no CSP
 * nonces are used), so running helmet's middleware chain per request (what @fastify/helmet
 * does: it re-parses the CSP directives each time) only costs time.
 */
export function staticSecurityHeaders(options: HelmetOptions): Record<string, string> {
  const headers: Record<string, string> = {};
  const res = {
    setHeader: (name: string, value: unknown) => void (headers[name.toLowerCase()] = String(value)),
    removeHeader: (name: string) => void delete headers[name.toLowerCase()],
  };
  let failure: unknown;
  helmet(options)({} as never, res as never, (err?: unknown) => (failure = err));
  if (failure) throw failure;
  return headers;
}

function unsupportedMediaType(): Error {
  return Object.assign(new Error('Unsupported Media Type: send Content-Type: application/json'), {
    statusCode: 415,
    code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE',
  });
}

/**
 * Edge hardening on the Fastify instance, applied by createApp before init:
 * - security headers (helmet, computed once: see staticSecurityHeaders), CORS only for the origins listed in `api.cors_origins`;
 * - body parsing: JSON is parsed exactly as Fastify's default parser does, except for
 *   /webhooks/*, whose bodies stay raw bytes (any content type) so signatures are checked on the
 *   bytes that were signed, and parsed only after verification. Other content types are 415.
 *   Every parser honours `server.body_limit_bytes` (413 beyond it);
 * - 415 for a non-JSON body on /api/* before the body is read.
 */
export async function applyHttpHardening(app: NestFastifyApplication, config: MiraConfig): Promise<void> {
  const fastify = app.getHttpAdapter().getInstance();
  const bodyLimit = config.server.body_limit_bytes;

  const securityHeaders = staticSecurityHeaders({
    // Swagger UI at /docs loads its own scripts and styles from 'self'; nothing else is served as HTML.
    contentSecurityPolicy: { directives: { 'img-src': ["'self'", 'data:'] } },
  });
  fastify.addHook('onRequest', (_req, reply, done) => {
    reply.headers(securityHeaders);
    done();
  });
  if (config.api.cors_origins.length > 0) {
    app.enableCors({
      origin: config.api.cors_origins,
      methods: ['GET', 'POST'],
      allowedHeaders: ['content-type', 'authorization', 'x-api-key'],
    });
  }

  const isWebhook = (req: FastifyRequest) => routeGroup(req) === 'webhooks';
  const defaultJson = fastify.getDefaultJsonParser('error', 'error');
  app.useBodyParser('application/json', { bodyLimit }, ((req: FastifyRequest, body: Buffer, done: Done) => {
    if (isWebhook(req)) return done(null, body);
    defaultJson(req, body as unknown as string, done);
  }) as never);
  // Fastify's built-in text/plain parser would hand webhooks a decoded string, not the signed bytes.
  if (fastify.hasContentTypeParser('text/plain')) fastify.removeContentTypeParser('text/plain');
  app.useBodyParser('*', { bodyLimit }, ((req: FastifyRequest, body: Buffer, done: Done) => {
    if (isWebhook(req)) return done(null, body);
    done(unsupportedMediaType());
  }) as never);

  fastify.addHook('onRequest', contentTypePolicy);
}
