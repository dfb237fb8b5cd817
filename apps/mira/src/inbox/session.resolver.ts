import { Injectable, type OnModuleInit } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import {
  IdentityResolvers,
  oidcSubjectId,
  OidcClientService,
  RESOLVER_ORDER,
  type CallerIdentity,
  type IdentityResolver,
} from '../security';
import { InboxSessionService } from './inbox-session.service';
import { SessionRolesService } from './session-roles.service';

/**
 * The inbox session cookie as an API credential, for the page's own calls only: the request
 * must come from the same origin and carry the session's CSRF token (synchronizer token, read
 * by the page from /inbox/session) in X-CSRF-Token. A cookie that rides along on any other
 * request (a forged cross-site form, a script elsewhere) authenticates nothing.
 */
@Injectable()
export class SessionIdentityResolver implements IdentityResolver, OnModuleInit {
  readonly name = 'inbox-session';

  constructor(
    private readonly sessions: InboxSessionService,
    private readonly roles: SessionRolesService,
    private readonly resolvers: IdentityResolvers,
    private readonly oidc: OidcClientService,
  ) {}

  onModuleInit(): void {
    this.resolvers.register(this, RESOLVER_ORDER.session);
  }

  async resolve(req: FastifyRequest): Promise<CallerIdentity | null> {
    const signedIn = await this.sessions.authorise(req);
    const session = signedIn === null ? null : await this.roles.current(signedIn);
    // Sessions are issued with the provider's sub (the stable id); one without it names nobody.
    if (session === null || session.sub === undefined || this.oidc.settings.issuer === null) return null;
    return {
      id: oidcSubjectId(this.oidc.settings.issuer, session.sub),
      name: session.name,
      roles: session.roles,
    };
  }
}
