import { createParamDecorator, type ExecutionContext, SetMetadata } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { ApiRole, CallerIdentity } from './caller-identity';
import { CALLER_IDENTITY, REQUIRED_ROLES_METADATA } from './security.constants';

/** The route needs one of these roles (admin always qualifies); checked by CallerGuard. */
export const Roles = (...roles: ApiRole[]): ClassDecorator & MethodDecorator =>
  SetMetadata(REQUIRED_ROLES_METADATA, roles);

/** The authenticated caller (set by CallerGuard on every /api request). */
export const Caller = createParamDecorator((_: unknown, ctx: ExecutionContext): CallerIdentity => {
  const req = ctx.switchToHttp().getRequest<FastifyRequest>();
  const identity = (req as unknown as Record<symbol, CallerIdentity | null | undefined>)[CALLER_IDENTITY];
  return identity ?? { id: 'anonymous', name: 'anonymous', roles: [] };
});
