import { Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { ApiKeyService, type CallerIdentity } from './api-key.service';
import { BearerJwtResolver } from './bearer-jwt.resolver';
import type { IdentityResolver } from './identity-resolver.interface';
import { CALLER_IDENTITY } from './security.constants';

/**
 * The resolvers the API guard asks in order (lowest `order` first); modules register theirs
 * (the inbox registers the session cookie) instead of editing the guard. The first non-null
 * answer is the caller, cached on the request for @Caller() and the logs.
 */
@Injectable()
export class IdentityResolvers {
  private readonly entries: { order: number; resolver: IdentityResolver }[] = [];

  constructor(keys: ApiKeyService, bearer: BearerJwtResolver) {
    this.register({ name: 'api-key', resolve: async (req) => keys.keyIdentity(req) }, RESOLVER_ORDER.apiKey);
    this.register(bearer, RESOLVER_ORDER.bearerJwt);
    this.register(
      { name: 'open-mode', resolve: async (req) => keys.fallbackIdentity(req) },
      RESOLVER_ORDER.fallback,
    );
  }

  register(resolver: IdentityResolver, order: number): void {
    this.entries.push({ order, resolver });
    this.entries.sort((a, b) => a.order - b.order);
  }

  get names(): string[] {
    return this.entries.map((e) => e.resolver.name);
  }

  async resolve(req: FastifyRequest): Promise<CallerIdentity | null> {
    const bag = req as unknown as Record<symbol, CallerIdentity | null | undefined>;
    for (const { resolver } of this.entries) {
      const found = await resolver.resolve(req);
      if (found !== null) {
        bag[CALLER_IDENTITY] = found;
        return found;
      }
    }
    return null;
  }
}

/** Resolver order: exact API keys, then bearer JWTs, then the session cookie, then open-mode fallbacks. */
export const RESOLVER_ORDER = { apiKey: 10, bearerJwt: 20, session: 30, fallback: 100 } as const;
