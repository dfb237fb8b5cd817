import type { FastifyRequest } from 'fastify';
import { API_PREFIX, HEALTH_PATH, METRICS_PATH, WEBHOOKS_PREFIX } from './security.constants';

export type RouteGroup = 'api' | 'webhooks' | 'metrics' | 'health' | null;

/**
 * Which edge policy applies, decided on the route the router matched (e.g. `/api/v1/messages`),
 * not the raw URL: percent-encoded or oddly cased paths cannot slip past a prefix check.
 */
export function routeGroup(
  req: Pick<FastifyRequest, 'url'> & { routeOptions?: { url?: string } },
): RouteGroup {
  // Asked several times per request (content-type policy, guards, body parser): Fastify's
  // routeOptions getter builds a new object on each read, so the answer is kept per request.
  let group = groups.get(req);
  if (group === undefined) {
    group = classify(req.routeOptions?.url ?? req.url.split('?')[0]);
    groups.set(req, group);
  }
  return group;
}

const groups = new WeakMap<object, RouteGroup>();

function classify(path: string): RouteGroup {
  if (path === '/api' || path.startsWith(API_PREFIX)) return 'api';
  if (path.startsWith(WEBHOOKS_PREFIX)) return 'webhooks';
  if (path === METRICS_PATH || path.startsWith(`${METRICS_PATH}/`)) return 'metrics';
  if (path === HEALTH_PATH || path.startsWith(`${HEALTH_PATH}/`)) return 'health';
  return null;
}
