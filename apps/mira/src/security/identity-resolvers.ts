import { Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { ConfigStore } from '@mira/config';
import { ApiKeyService } from './api-key.service';
import { BearerJwtResolver } from './bearer-jwt.resolver';
import type { ApiAuthMode, CallerIdentity } from './caller-identity';
import type { IdentityResolver } from './identity-resolver.interface';
import { RuntimeEnvironment } from './runtime-environment';
import { API_ROLES } from './security.config';
import { ACTOR_HEADER, CALLER_IDENTITY } from './security.constants';
import { SecurityError } from './security.error';
import { claimedId } from './stable-identity';

/** Names a caller may claim with X-Mira-Actor when no credential is configured. */
const ACTOR_NAME = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;
const ANONYMOUS: CallerIdentity = Object.freeze({ id: 'anonymous', name: 'anonymous', roles: API_ROLES });

/**
 * The resolvers the API guard asks in order (lowest `order` first); modules register theirs
 * (the inbox registers the session cookie) instead of editing the guard. The first non-null
 * answer is the caller, cached on the request for @Caller() and the logs. Also decides the auth
 * mode (whether any credential exists at all) and who an unauthenticated caller is where allowed.
 */
@Injectable()
export class IdentityResolvers implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('ApiKeys');
  private readonly entries: { order: number; resolver: IdentityResolver }[] = [];
  private readonly unsubscribe: () => void;

  constructor(
    private readonly keys: ApiKeyService,
    bearer: BearerJwtResolver,
    private readonly config: ConfigStore,
    private readonly runtime: RuntimeEnvironment,
  ) {
    this.register({ name: 'api-key', resolve: async (req) => keys.keyIdentity(req) }, RESOLVER_ORDER.apiKey);
    this.register(bearer, RESOLVER_ORDER.bearerJwt);
    this.register(
      { name: 'open-mode', resolve: async (req) => this.fallbackIdentity(req) },
      RESOLVER_ORDER.fallback,
    );
    this.unsubscribe = config.onChange(() => {
      if (this.mode === 'closed')
        this.logger.error('api.keys became empty in production: /api/* now refuses every request');
    }, 'api');
  }

  /** After every module's init (ApiKeyService is bootstrapped first), so secret:// keys are resolved. */
  onApplicationBootstrap(): void {
    const mode = this.mode;
    if (mode === 'closed') {
      throw new SecurityError(
        'SECURITY_NO_API_KEYS',
        'api.keys is empty while NODE_ENV=production: set api.keys (MIRA_API__KEYS, comma-separated, or secret:// references) or set api.auth: disabled to run the API without authentication on purpose',
      );
    }
    if (mode === 'open')
      this.logger.warn(
        'api.keys is empty: /api/* is open to anyone; set api.keys before exposing the service',
      );
    if (mode === 'disabled')
      this.logger.warn('api.auth is disabled: /api/* accepts requests without an API key');
  }

  onModuleDestroy(): void {
    this.unsubscribe();
  }

  get mode(): ApiAuthMode {
    if (this.config.get('api').auth === 'disabled') return 'disabled';
    // OIDC (bearer JWTs, the inbox session) is a credential too: with it, no key is not "open".
    if (this.keys.hasKeys || this.oidcConfigured) return 'enforced';
    return this.runtime.isProduction ? 'closed' : 'open';
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

  /**
   * Who the caller of a request still open (a live stream) is NOW: the same resolvers against the
   * keys, sessions and tokens in force now (nothing cached on the request is reused). Null, or a
   * thrown refusal, means the credential is gone.
   */
  async recheck(req: FastifyRequest): Promise<CallerIdentity | null> {
    if (this.mode === 'closed') return null;
    this.keys.forget(req);
    return this.resolve(req);
  }

  /**
   * Who an unauthenticated caller is, where that is allowed: the claimed name while no credential
   * exists at all (open development mode); anonymous with every role while api.auth is disabled.
   */
  private fallbackIdentity(req: FastifyRequest): CallerIdentity | null {
    if (!this.keys.hasKeys && !this.oidcConfigured) return claimedActor(req);
    return this.config.get('api').auth === 'disabled' ? ANONYMOUS : null;
  }

  private get oidcConfigured(): boolean {
    return this.config.get('auth').oidc.issuer !== null;
  }
}

function claimedActor(req: FastifyRequest): CallerIdentity {
  const header = req.headers[ACTOR_HEADER];
  const name = Array.isArray(header) ? header[0] : header;
  return typeof name === 'string' && ACTOR_NAME.test(name)
    ? { id: claimedId(name), name, roles: API_ROLES }
    : ANONYMOUS;
}

/** Resolver order: exact API keys, then bearer JWTs, then the session cookie, then open-mode fallbacks. */
export const RESOLVER_ORDER = { apiKey: 10, bearerJwt: 20, session: 30, fallback: 100 } as const;
