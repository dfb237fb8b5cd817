import type { FastifyRequest } from 'fastify';
import type { CallerIdentity } from './caller-identity';

/**
 * One way of telling who calls (API key, bearer JWT, session cookie). `resolve` answers the
 * identity, null when the request carries no credential of its kind, or throws
 * UnauthorizedException/ForbiddenException when it carries one that is not acceptable (an
 * invalid token must not fall through to a weaker resolver).
 */
export interface IdentityResolver {
  readonly name: string;
  resolve(req: FastifyRequest): Promise<CallerIdentity | null>;
}
