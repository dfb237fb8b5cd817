import type { FastifyReply } from 'fastify';
import type { RefusalReason } from './metrics.constants';

const REFUSAL = Symbol('mira:refusal-reason');

/**
 * Marks a reply as a refusal for a reason its status alone cannot tell (a 503 for a full queue
 * versus a dead broker, a 401 for a bad webhook signature versus a missing API key). The HTTP
 * metrics hook counts it once the reply is sent.
 */
export function markRefusal(reply: FastifyReply, reason: RefusalReason): void {
  (reply as unknown as Record<symbol, RefusalReason>)[REFUSAL] = reason;
}

/** The reason marked on the reply, else the one its status says, else null (not a refusal). */
export function refusalReason(reply: FastifyReply, method: string): RefusalReason | null {
  const marked = (reply as unknown as Record<symbol, RefusalReason | undefined>)[REFUSAL];
  if (marked) return marked;
  switch (reply.statusCode) {
    case 429:
      return 'rate_limited';
    case 401:
      return 'unauthorized';
    case 403:
      return 'forbidden';
    case 413:
      return 'body_too_large';
    case 415:
      return 'unsupported_media_type';
    case 400:
    case 422:
      // A bad query on a read is not a refused body.
      return method === 'POST' || method === 'PUT' || method === 'PATCH' ? 'invalid_body' : null;
    default:
      return null;
  }
}
