import { hostname } from 'node:os';
import type { Params } from 'nestjs-pino';
import {
  destination as pinoDestination,
  multistream,
  stdTimeFunctions,
  type DestinationStream,
  type LoggerOptions,
} from 'pino';
import type { Options as PinoHttpOptions } from 'pino-http';
import { isSpanContextValid, trace } from '@opentelemetry/api';
import { maskCredentialParams, maskCredentialUrls, type MiraConfig } from '@mira/config';
import { isValidCorrelationId, traceIdFromTraceparent } from './correlation/correlation-id';
import { currentCorrelation } from './correlation/correlation.context';
import type { CorrelationContext } from './logging.interface';
import {
  CORRELATION_HEADER,
  REQUEST_ID_HEADER,
  SERVICE_NAME,
  SERVICE_VERSION,
  TRACEPARENT_HEADER,
} from './logging.constants';
import { LoggingError } from './logging.error';
import { redactSensitive } from './redaction/redact-sensitive';
import { REDACTED } from './redaction/redaction.constants';
import type { RedactionRegistry } from './redaction/redaction.registry';

/**
 * `logging.access_log_exclude` entries (`/x` exact, `/x/*` everything below) as one predicate
 * over a request URL (the query string is ignored).
 */
export function accessLogExclusion(paths: readonly string[]): (url: string) => boolean {
  const withoutTrailingSlash = (path: string) => path.replace(/\/+$/, '') || '/';
  const exact = new Set<string>();
  const prefixes: string[] = [];
  for (const p of paths) {
    const path = '/' + p.replace(/^\/+/, '');
    if (path.endsWith('/*')) prefixes.push(path.slice(0, -1));
    else exact.add(withoutTrailingSlash(path));
  }
  if (exact.size === 0 && prefixes.length === 0) return () => false;
  return (url) => {
    const path = url.split('?', 1)[0];
    return exact.has(withoutTrailingSlash(path)) || prefixes.some((prefix) => path.startsWith(prefix));
  };
}

export interface LoggerBuildDeps {
  redaction: RedactionRegistry;
  /** Replaces stdout (tests capture lines through it). */
  destination?: DestinationStream | NodeJS.WritableStream | null;
}

/**
 * Adds the correlation context to every line. pino merges the returned object in place, so
 * it must be a fresh one (never the context object itself).
 */
export function correlationMixin(): object {
  const { actor_roles: _roles, ...ctx } = currentCorrelation() ?? ({} as Partial<CorrelationContext>);
  const span = trace.getActiveSpan()?.spanContext();
  // Inside a span (tracing on), the line names it, so logs and traces join on trace_id/span_id.
  if (span && isSpanContextValid(span)) return { ...ctx, trace_id: span.traceId, span_id: span.spanId };
  return ctx;
}

/** The pino options of the service (pure, so unit specs build them directly). */
export function buildPinoOptions(logging: MiraConfig['logging'], deps: LoggerBuildDeps): LoggerOptions {
  const { redaction } = deps;
  return {
    level: logging.level,
    base: { service: SERVICE_NAME, version: SERVICE_VERSION, pid: process.pid, hostname: hostname() },
    timestamp: stdTimeFunctions.isoTime,
    messageKey: 'msg',
    formatters: {
      level: (label: string) => ({ level: label }),
      log: redactSensitive,
      bindings: redactSensitive,
    },
    mixin: correlationMixin,
    // Registered secret values are masked on the final line, whatever field or message holds them,
    // and first: URL masking alters a secret URL in part, which then no longer matches whole.
    // Then credential URLs (user info, ?token=, Slack hook paths) anywhere in a line, start-up lines included.
    hooks: { streamWrite: (line: string) => maskCredentialUrls(redaction.mask(line)) },
  };
}

/** What decides the log format when `logging.json` is unset (null). */
export interface LogFormatContext {
  env: NodeJS.ProcessEnv;
  stdoutIsTTY: boolean;
}

/**
 * JSON lines unless a person is reading: `logging.json` (or MIRA_LOG_JSON) decides when set;
 * unset, pretty only on a terminal outside production and CI.
 */
export function jsonLogs(
  logging: Pick<MiraConfig['logging'], 'json'>,
  ctx: LogFormatContext = { env: process.env, stdoutIsTTY: process.stdout.isTTY === true },
): boolean {
  if (logging.json !== null) return logging.json;
  const ci = ctx.env.CI !== undefined && ctx.env.CI !== '' && ctx.env.CI !== 'false';
  return !ctx.stdoutIsTTY || ctx.env.NODE_ENV === 'production' || ci;
}

/** Where lines go: stdout (JSON or pretty) or the injected stream, plus `logging.file` as JSON lines. */
export function buildDestination(
  logging: MiraConfig['logging'],
  deps: LoggerBuildDeps,
): DestinationStream | NodeJS.WritableStream {
  const base =
    deps.destination ??
    (jsonLogs(logging)
      ? pinoDestination({ dest: 1, sync: true })
      : // Loaded only for human-readable output: production (JSON) never pays for it.
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        (require('pino-pretty') as typeof import('pino-pretty'))({
          colorize: process.stdout.isTTY === true,
          translateTime: 'SYS:standard',
          ignore: 'pid,hostname,service,version',
          messageKey: 'msg',
          sync: true,
        }));
  if (!logging.file) return base;
  let file: DestinationStream;
  try {
    file = pinoDestination({ dest: logging.file, mkdir: true, sync: true });
  } catch (err) {
    throw new LoggingError(
      'LOGGING_FILE_UNWRITABLE',
      `logging.file: cannot open ${logging.file} for writing (${(err as Error).message}); fix the path or its permissions, or unset logging.file`,
    );
  }
  // Entry levels at the minimum: the root logger's (live) level is the only filter.
  return multistream([
    { stream: base as DestinationStream, level: 'trace' },
    { stream: file, level: 'trace' },
  ]);
}

const REPLACED = '[replaced: invalid id]';

/**
 * Request serializer (pino-http passes the standard serialized request): an id header that
 * failed validation (10 kB of junk, control characters) is not written to the log. The common
 * case (all valid or absent) returns the object untouched.
 */
export function withSafeIdHeaders<T extends { headers?: Record<string, unknown> }>(req: T): T {
  const h = req.headers;
  if (!h) return req;
  const badCorrelation = h[CORRELATION_HEADER] !== undefined && !isValidCorrelationId(h[CORRELATION_HEADER]);
  const badRequestId = h[REQUEST_ID_HEADER] !== undefined && !isValidCorrelationId(h[REQUEST_ID_HEADER]);
  const badTrace = h[TRACEPARENT_HEADER] !== undefined && !traceIdFromTraceparent(h[TRACEPARENT_HEADER]);
  if (!badCorrelation && !badRequestId && !badTrace) return req;
  // A copy: the headers object is the live request's.
  const headers = { ...h };
  if (badCorrelation) headers[CORRELATION_HEADER] = REPLACED;
  if (badRequestId) headers[REQUEST_ID_HEADER] = REPLACED;
  if (badTrace) headers[TRACEPARENT_HEADER] = REPLACED;
  return { ...req, headers };
}

/**
 * Request headers worth an access-log line. An allow-list, not a deny-list: credential headers
 * (authorization, x-api-key, cookies, and any custom one) never reach the line, and the line
 * stays small.
 */
export const ACCESS_LOG_HEADERS: readonly string[] = [
  'host',
  'user-agent',
  'content-type',
  'content-length',
  'accept',
  'referer',
  'x-forwarded-for',
  CORRELATION_HEADER,
  REQUEST_ID_HEADER,
  TRACEPARENT_HEADER,
];

interface SerializedRequest {
  id?: unknown;
  method?: string;
  url?: string;
  remoteAddress?: string;
  headers?: Record<string, unknown>;
}

/** Paths whose query string carries one-time credentials (an OIDC callback's code and state). */
const QUERY_REDACTED_PATHS = new Set<string>();

/**
 * Logs requests to `path` without their query string (`?[REDACTED]`): for routes whose query
 * is a credential. Matched on the path percent-decoded, case-insensitive, trailing slashes ignored.
 */
export function redactQueryString(path: string): void {
  QUERY_REDACTED_PATHS.add(normalPath(path));
}

/** True when `path` (without its query) was registered with redactQueryString: tracing drops its query too. */
export function isQueryRedactedPath(path: string): boolean {
  return QUERY_REDACTED_PATHS.size > 0 && QUERY_REDACTED_PATHS.has(normalPath(path));
}

/** Lower case, no trailing slash, percent-decoded (`/inbox/%63allback` routes to `/inbox/callback`). */
function normalPath(path: string): string {
  let p = path;
  if (p.includes('%'))
    try {
      p = decodeURIComponent(p);
    } catch {
      /* not decodable: matched as written */
    }
  return p.toLowerCase().replace(/\/+$/, '');
}

/**
 * The url as logged: the query string of a registered path replaced; on any other path the values
 * of credential-named parameters (`?access_token=`, `?sig=`) masked. No query: nothing to do.
 */
function loggedUrl(url: string | undefined): string | undefined {
  if (url === undefined) return url;
  const q = url.indexOf('?');
  if (q === -1) return url;
  const path = url.slice(0, q);
  if (QUERY_REDACTED_PATHS.size > 0 && QUERY_REDACTED_PATHS.has(normalPath(path)))
    return `${path}?${REDACTED}`;
  return `${path}?${maskCredentialParams(url.slice(q + 1))}`;
}

/** The access line's `req`: id, method, url, client address and the allow-listed headers. */
export function accessLogRequest(req: SerializedRequest): SerializedRequest {
  const headers: Record<string, unknown> = {};
  const h = req.headers ?? {};
  for (const name of ACCESS_LOG_HEADERS) if (h[name] !== undefined) headers[name] = h[name];
  return withSafeIdHeaders({
    id: req.id,
    method: req.method,
    url: loggedUrl(req.url),
    remoteAddress: req.remoteAddress,
    headers,
  });
}

/** The access line's `res`: the status (response headers are ours, and large: CSP, HSTS...). */
export function accessLogResponse(res: { statusCode?: number }): { statusCode?: number } {
  return { statusCode: res.statusCode };
}

/**
 * nestjs-pino params: the logger only. Its pino-http middleware is not mounted (no routes): the
 * correlation scope and the access line come from Fastify hooks (httpLoggingHooks), which cost a
 * fraction of a per-request child logger run through @fastify/middie.
 */
export function buildLoggerParams(logging: MiraConfig['logging'], deps: LoggerBuildDeps): Params {
  const options: PinoHttpOptions = {
    ...buildPinoOptions(logging, deps),
    // Any line that logs a raw `req`/`res` gets the access line's allow-listed shape, never every
    // header (authorization, cookies): pino-http would otherwise install its standard serializers.
    serializers: { req: accessLogRequest, res: accessLogResponse },
  };
  return { pinoHttp: [options, buildDestination(logging, deps) as DestinationStream], forRoutes: [] };
}
