import helmet, { type HelmetOptions } from 'helmet';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance, FastifyRequest, onRequestHookHandler } from 'fastify';
import type { MiraConfig } from '@mira/config';
import { jsonTooDeep, nestsDeeperThan } from './edge-limits';
import { invalidJson } from './json-position';
import { routeGroup } from './route-group';

type CorsOptions = NonNullable<Parameters<NestFastifyApplication['enableCors']>[0]>;
type Done = (err: Error | null, body?: unknown) => void;
export type BodyParser = (req: FastifyRequest, body: Buffer, done: Done) => void;

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

let securityHeaderCache: Readonly<Record<string, string>> | null = null;
let jsonHeaderCache: Readonly<Record<string, string>> | null = null;

/** The service's security headers: helmet's defaults, for any answer that may be a document. */
function miraSecurityHeaders(): Readonly<Record<string, string>> {
  securityHeaderCache ??= staticSecurityHeaders({
    // Swagger UI at /docs loads its own scripts and styles from 'self'; nothing else is served as HTML.
    contentSecurityPolicy: { directives: { 'img-src': ["'self'", 'data:'] } },
  });
  return securityHeaderCache;
}

/**
 * Security headers for answers that are only ever JSON (the OWASP REST set): nothing may be
 * loaded, framed or sniffed, no cross-origin no-cors reads, HTTPS only. helmet's other
 * headers steer how browsers treat documents (referrers, opener, DNS prefetch, legacy IE
 * and Flash) and mean nothing for a JSON body, while each header costs every answer.
 */
export function jsonSecurityHeaders(): Readonly<Record<string, string>> {
  jsonHeaderCache ??= staticSecurityHeaders({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: { 'default-src': ["'none'"], 'frame-ancestors': ["'none'"] },
    },
    crossOriginOpenerPolicy: false,
    originAgentCluster: false,
    referrerPolicy: false,
    xDnsPrefetchControl: false,
    xDownloadOptions: false,
    xFrameOptions: false,
    xPermittedCrossDomainPolicies: false,
    xXssProtection: false,
  });
  return jsonHeaderCache;
}

function unsupportedMediaType(): Error {
  return Object.assign(new Error('Unsupported Media Type: send Content-Type: application/json'), {
    statusCode: 415,
    code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE',
  });
}

/**
 * The security-header hook: the JSON set on the API, webhook, metrics and health routes (they
 * never answer a document), helmet's full set on anything else (the docs UI, routes other
 * modules add, 404s). Both computed once (see staticSecurityHeaders).
 */
export function securityHeadersHook(): onRequestHookHandler {
  const documentHeaders = miraSecurityHeaders();
  const jsonHeaders = jsonSecurityHeaders();
  return (req, reply, done) => {
    reply.headers(routeGroup(req) === null ? documentHeaders : jsonHeaders);
    done();
  };
}

/** CORS only for the origins listed in `api.cors_origins`; null when none are. */
export function corsOptions(config: MiraConfig): CorsOptions | null {
  if (config.api.cors_origins.length === 0) return null;
  return {
    origin: config.api.cors_origins,
    methods: ['GET', 'POST'],
    allowedHeaders: ['content-type', 'authorization', 'x-api-key'],
  };
}

/**
 * The body parsers. JSON is parsed exactly as Fastify's default parser does, except for
 * /webhooks/*, whose bodies stay raw bytes (any content type) so signatures are checked on the
 * bytes that were signed, and parsed only after verification. Other content types are 415.
 * Every parser honours `server.body_limit_bytes` (413 beyond it, reworded by ApiExceptionFilter); a
 * body that is not JSON is a 400 naming its line and column; parsed JSON nested deeper than
 * `server.max_json_depth` is a 400.
 */
export function bodyParsers(
  fastify: FastifyInstance,
  config: MiraConfig,
): { json: BodyParser; other: BodyParser } {
  const isWebhook = (req: FastifyRequest) => routeGroup(req) === 'webhooks';
  const defaultJson = fastify.getDefaultJsonParser('error', 'error');
  const maxDepth = config.server.max_json_depth;
  return {
    json: (req, body, done) => {
      if (isWebhook(req)) return done(null, body);
      defaultJson(req, body as unknown as string, (err, parsed) => {
        // Fastify's error has no position: a body that is not JSON gets a 400 naming line and column.
        if (err)
          return done(
            (err as { code?: string }).code === 'FST_ERR_CTP_INVALID_JSON_BODY' ? invalidJson(body) : err,
          );
        // Checked once here, so no handler, agent or serialiser meets data deep enough to overflow the stack.
        done(nestsDeeperThan(parsed, maxDepth) ? jsonTooDeep(maxDepth) : null, parsed);
      });
    },
    other: (req, body, done) => {
      if (isWebhook(req)) return done(null, body);
      done(unsupportedMediaType());
    },
  };
}
