import { createParamDecorator, type ExecutionContext, SetMetadata } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { ApiRole, CallerIdentity } from './api-key.service';
import { CALLER_IDENTITY, REQUIRED_ROLES_METADATA } from './security.constants';

/** The route needs one of these roles (admin always qualifies); checked by ApiKeyGuard. */
export const Roles = (...roles: ApiRole[]): ClassDecorator & MethodDecorator =>
  SetMetadata(REQUIRED_ROLES_METADATA, roles);

/** The authenticated caller (set by ApiKeyGuard on every /api request). */
export const Caller = createParamDecorator((_: unknown, ctx: ExecutionContext): CallerIdentity => {
  const req = ctx.switchToHttp().getRequest<FastifyRequest>();
  const identity = (req as unknown as Record<symbol, CallerIdentity | null | undefined>)[CALLER_IDENTITY];
  return identity ?? { name: 'anonymous', roles: [] };
});
