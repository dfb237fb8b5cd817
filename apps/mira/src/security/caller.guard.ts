import {
  type CanActivate,
  type ExecutionContext,
  ForbiddenException,
  Injectable,
  UnauthorizedException,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ConfigStore } from '@mira/config';
import { routeGroup } from './route-group';
import { setFlagContext } from '@mira/flags';
import { setContextFields } from '@mira/logging';
import type { ApiRole, CallerIdentity } from './caller-identity';
import { IdentityResolvers } from './identity-resolvers';
import { REQUIRE_CALLER_METADATA, REQUIRED_ROLES_METADATA } from './security.constants';

/**
 * Global guard: /api/* needs a caller, /metrics too when `api.protect_metrics` is on, and any
 * route marked @RequireCaller(). Health probes and webhooks (which carry signatures) stay open.
 * Who calls is the first answer of the registered identity resolvers (API key, bearer JWT, the
 * inbox session, then the open-mode fallbacks); then the route's @Roles() are checked.
 */
@Injectable()
export class CallerGuard implements CanActivate {
  constructor(
    private readonly config: ConfigStore,
    private readonly reflector: Reflector,
    private readonly resolvers: IdentityResolvers,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const req = context.switchToHttp().getRequest<FastifyRequest>();
    const group = routeGroup(req);
    const required =
      group === 'api' ||
      (group === 'metrics' && this.config.get('api').protect_metrics) ||
      this.reflector.getAllAndOverride<boolean>(REQUIRE_CALLER_METADATA, [
        context.getHandler(),
        context.getClass(),
      ]) === true;
    if (!required) return true;
    const mode = this.resolvers.mode;
    const identity = mode === 'closed' ? null : await this.resolvers.resolve(req);
    if (identity !== null) return this.authorised(context, identity);
    void context.switchToHttp().getResponse<FastifyReply>().header('www-authenticate', 'Bearer realm="mira"');
    throw new UnauthorizedException(
      mode === 'closed'
        ? 'API authentication is required but no API key is configured'
        : 'A valid API key or token is required: send Authorization: Bearer <key or JWT> or X-API-Key: <key>',
    );
  }

  /**
   * Roles a route declares with @Roles(). The caller's stable id joins every log line of the
   * request and is the flag evaluation's targetingKey (with its roles). Set here rather than in a
   * global interceptor: a single interceptor puts every request through Nest's RxJS pipeline.
   */
  private authorised(context: ExecutionContext, identity: CallerIdentity): boolean {
    setContextFields({ actor: identity.id, actor_roles: identity.roles.join(',') || undefined });
    setFlagContext({ targetingKey: identity.id, roles: identity.roles });
    const needed = this.reflector.getAllAndOverride<ApiRole[] | undefined>(REQUIRED_ROLES_METADATA, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (!needed || needed.length === 0) return true;
    if (identity.roles.includes('admin') || needed.some((r) => identity.roles.includes(r))) return true;
    throw new ForbiddenException(
      `This action needs the ${needed.join(' or ')} role (or admin); "${identity.name}" has: ${identity.roles.join(', ') || 'none'}`,
    );
  }
}
