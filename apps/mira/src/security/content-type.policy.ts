import type { FastifyReply, FastifyRequest } from 'fastify';
import { routeGroup } from './route-group';

/** `application/json`, with or without parameters such as `; charset=utf-8`. */
export function isJsonContentType(header: string | undefined): boolean {
  if (header === undefined) return false;
  const type = header.split(';')[0].trim().toLowerCase();
  return type === 'application/json';
}

/** True when the request carries (or announces) a body. */
export function hasBody(req: Pick<FastifyRequest, 'headers'>): boolean {
  const length = req.headers['content-length'];
  return (
    req.headers['transfer-encoding'] !== undefined ||
    (length !== undefined && length !== '0') ||
    req.headers['content-type'] !== undefined
  );
}

/**
 * onRequest hook: the JSON API takes JSON only. Anything else is refused with 415 before the body
 * is read. Webhooks are exempt: providers choose their content type and the raw bytes are verified.
 */
export function contentTypePolicy(
  req: FastifyRequest,
  reply: FastifyReply,
  done: (err?: Error) => void,
): void {
  if (routeGroup(req) === 'api' && hasBody(req) && !isJsonContentType(req.headers['content-type'])) {
    void reply.code(415).send({
      statusCode: 415,
      error: 'Unsupported Media Type',
      message: 'The API accepts JSON only: send Content-Type: application/json',
    });
    return;
  }
  done();
}
