import type { FastifyReply, FastifyRequest } from 'fastify';
import { PinoLogger } from 'nestjs-pino';
import { correlationIdForRequest } from './correlation/correlation-id';
import { enterRequestScope } from './correlation/correlation.context';
import { CORRELATION_HEADER } from './logging.constants';
import { accessLogRequest, accessLogExclusion } from './logging.options';

type Done = (err?: Error) => void;

/** Fastify hooks of the logging module; the app's HTTP edge registers them (apps/mira/src/edge). */
export interface HttpLoggingHooks {
  onRequest(req: FastifyRequest, reply: FastifyReply, done: Done): void;
  onResponse(req: FastifyRequest, reply: FastifyReply, done: Done): void;
  onRequestAbort(req: FastifyRequest, done: Done): void;
}

/**
 * The HTTP edge of the logging module, as Fastify hooks rather than Nest middleware:
 * - onRequest: the request's correlation id (validated; see correlationIdForRequest) is echoed
 *   in `x-correlation-id` and the request runs in its own CLS scope, so every line written while
 *   handling it carries the id;
 * - onResponse: one access line (`request completed` / `request errored`) with the allow-listed
 *   request fields, the status and the response time, unless `accessLogExclude`
 *   (`logging.access_log_exclude`) lists the path; onRequestAbort: `request aborted` when the
 *   client left before the answer.
 *
 * Hooks instead of Nest middleware (and instead of nestjs-pino's pino-http middleware): the two
 * middlewares ran through @fastify/middie and built a child logger per request, and together
 * measured about half the per-request cost of POST /api/v1/messages.
 */
export function httpLoggingHooks(accessLogExclude: readonly string[]): HttpLoggingHooks {
  const excluded = accessLogExclusion(accessLogExclude);
  return {
    onRequest(req, reply, done) {
      const id = correlationIdForRequest(req.raw);
      // Through Fastify's header map, not the raw response: one header set on the raw response
      // makes Node validate and copy every header of the reply one by one at writeHead.
      void reply.header(CORRELATION_HEADER, id);
      enterRequestScope(id, done);
    },
    onResponse(req, reply, done) {
      if (!excluded(req.url)) writeAccessLine(req, reply);
      done();
    },
    // A client that goes away before the response is sent: the response never finishes, so
    // onResponse never runs. One `request aborted` line instead (as pino-http wrote).
    onRequestAbort(req, done) {
      if (!excluded(req.url)) writeAccessLine(req, null);
      done();
    },
  };
}

type Pino = (typeof PinoLogger)['root'];
const identity = <T>(value: T): T => value;
const accessLoggers = new WeakMap<Pino, Pino>();

/**
 * The root logger's child that writes access lines. The root comes from pino-http, whose
 * `req`/`res` serializers expect raw Node objects; the line's fields are built here already.
 * The child accepts every level: the root's (live) level is checked before each line.
 */
function accessLogger(root: Pino): Pino {
  let child = accessLoggers.get(root);
  if (!child) {
    child = root.child({}, { level: 'trace', serializers: { req: identity, res: identity } });
    accessLoggers.set(root, child);
  }
  return child;
}

/** The access line of a request: answered (`reply`), or aborted by the client (`null`). */
function writeAccessLine(req: FastifyRequest, reply: FastifyReply | null): void {
  const root = PinoLogger.root;
  if (!root) return;
  const status = reply?.statusCode ?? 0;
  const level = !reply || (status >= 400 && status < 500) ? 'warn' : status >= 500 ? 'error' : 'info';
  if (!root.isLevelEnabled(level)) return;
  const raw = req.raw;
  const id = correlationIdForRequest(raw);
  accessLogger(root)[level](
    {
      // The id is also the correlation id; set here because the hook may run outside the
      // request's CLS scope (it follows the socket's 'finish' event).
      correlation_id: id,
      req: accessLogRequest({
        id,
        method: raw.method,
        url: raw.url,
        // Fastify's client address: the socket peer, or X-Forwarded-For's client behind a trusted proxy (server.trust_proxy).
        remoteAddress: req.ip,
        headers: raw.headers,
      }),
      ...(reply ? { res: { statusCode: status }, responseTime: Math.round(reply.elapsedTime) } : {}),
    },
    !reply ? 'request aborted' : status >= 500 ? 'request errored' : 'request completed',
  );
}
