import { type CanActivate, type ExecutionContext, Injectable, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ConfigStore } from '@mira/config';
import { ApiKeyService } from './api-key.service';
import { routeGroup } from './route-group';
import { REQUIRE_API_KEY_METADATA } from './security.constants';

/**
 * Global guard: /api/* needs a valid key, /metrics too when `api.protect_metrics` is on, and any
 * route marked @RequireApiKey(). Health probes and webhooks (which carry signatures) stay open.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly keys: ApiKeyService,
    private readonly config: ConfigStore,
    private readonly reflector: Reflector,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') return true;
    const req = context.switchToHttp().getRequest<FastifyRequest>();
    const group = routeGroup(req);
    const required =
      group === 'api' ||
      (group === 'metrics' && this.config.get('api').protect_metrics) ||
      this.reflector.getAllAndOverride<boolean>(REQUIRE_API_KEY_METADATA, [
        context.getHandler(),
        context.getClass(),
      ]) === true;
    if (!required) return true;
    const mode = this.keys.mode;
    if (mode === 'open' || mode === 'disabled') return true;
    if (mode === 'enforced' && this.keys.identify(req) !== null) return true;
    void context.switchToHttp().getResponse<FastifyReply>().header('www-authenticate', 'Bearer realm="mira"');
    throw new UnauthorizedException(
      mode === 'closed'
        ? 'API authentication is required but no API key is configured'
        : 'A valid API key is required: send Authorization: Bearer <key> or X-API-Key: <key>',
    );
  }
}
