import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const SERVICE_NAME = 'mira';

function readVersion(): string {
  // Works from sources (jest) and from dist/ alike: walk up to the nearest package.json.
  for (let dir = __dirname, i = 0; i < 8; i++, dir = join(dir, '..')) {
    try {
      return (
        (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version?: string }).version ??
        '0.0.0'
      );
    } catch {
      continue;
    }
  }
  return '0.0.0';
}

export const SERVICE_VERSION = readVersion();

/** Optional: a writable stream replacing stdout as the log destination (tests, embedding). */
export const LOG_DESTINATION = Symbol('mira:LOG_DESTINATION');

/** Request and broker header carrying the correlation id (echoed on every HTTP response). */
export const CORRELATION_HEADER = 'x-correlation-id';
/** Fallback inbound header when no x-correlation-id is sent. */
export const REQUEST_ID_HEADER = 'x-request-id';
/** W3C trace context: its trace id is the last fallback. */
export const TRACEPARENT_HEADER = 'traceparent';
/** Broker header carrying the workflow id across messages. */
export const WORKFLOW_HEADER = 'x-workflow-id';
/** Broker header carrying the acting caller's name to the consumer (set by the service only). */
export const ACTOR_HEADER = 'x-mira-actor';
/** Broker header carrying the acting caller's roles (comma-separated), for role-targeted flags. */
export const ACTOR_ROLES_HEADER = 'x-mira-actor-roles';

/** Key of the correlation context object inside the CLS store (a symbol: a plain property read). */
export const CORRELATION_CLS_KEY = Symbol.for('mira:correlation');
