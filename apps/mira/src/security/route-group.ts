import type { FastifyRequest } from 'fastify';
import { API_PREFIX, METRICS_PATH, WEBHOOKS_PREFIX } from './security.constants';

export type RouteGroup = 'api' | 'webhooks' | 'metrics' | null;

/**
 * Which edge policy applies, decided on the route the router matched (e.g. `/api/v1/messages`),
 * not the raw URL: percent-encoded or oddly cased paths cannot slip past a prefix check.
 */
export function routeGroup(
  req: Pick<FastifyRequest, 'url'> & { routeOptions?: { url?: string } },
): RouteGroup {
  const path = req.routeOptions?.url ?? req.url.split('?')[0];
  if (path === '/api' || path.startsWith(API_PREFIX)) return 'api';
  if (path.startsWith(WEBHOOKS_PREFIX)) return 'webhooks';
  if (path === METRICS_PATH || path.startsWith(`${METRICS_PATH}/`)) return 'metrics';
  return null;
}
