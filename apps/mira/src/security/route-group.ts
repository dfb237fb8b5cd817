import type { FastifyInstance, FastifyRequest } from 'fastify';
import { HEALTH_PATH } from '@mira/health';
import { API_PREFIX, METRICS_PATH, WEBHOOKS_PREFIX } from './security.constants';

export type RouteGroup = 'api' | 'webhooks' | 'metrics' | 'health' | null;

/**
 * Which edge policy applies, decided on the route the router matched (e.g. `/api/v1/messages`),
 * not the raw URL: percent-encoded or oddly cased paths cannot slip past a prefix check.
 */
export function routeGroup(
  req: Pick<FastifyRequest, 'url'> & { routeOptions?: { url?: string } },
): RouteGroup {
  // Asked several times per request (security headers, content-type policy, guards, body
  // parser): Fastify's routeOptions getter builds a new object on each read, so the answer is
  // kept on the request, in a property every Fastify request is created with (see below).
  const r = req as { [ROUTE_GROUP_KEY]?: RouteGroup };
  let group = r[ROUTE_GROUP_KEY];
  if (group === undefined) {
    group = classify(req.routeOptions?.url ?? req.url.split('?')[0]);
    r[ROUTE_GROUP_KEY] = group;
  }
  return group;
}

const ROUTE_GROUP_KEY = 'miraRouteGroup';

/**
 * Declares the cache property on Fastify's Request, so requests keep one shape (a property
 * added later to some requests only would make V8 treat them as different kinds of object).
 */
export function declareRouteGroup(fastify: FastifyInstance): void {
  if (!fastify.hasRequestDecorator(ROUTE_GROUP_KEY)) fastify.decorateRequest(ROUTE_GROUP_KEY, undefined);
}

function classify(path: string): RouteGroup {
  if (path === '/api' || path.startsWith(API_PREFIX)) return 'api';
  if (path.startsWith(WEBHOOKS_PREFIX)) return 'webhooks';
  if (path === METRICS_PATH || path.startsWith(`${METRICS_PATH}/`)) return 'metrics';
  if (path === HEALTH_PATH || path.startsWith(`${HEALTH_PATH}/`)) return 'health';
  return null;
}
