import { ForbiddenException, Injectable, type OnModuleInit } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { IdentityResolvers, RESOLVER_ORDER, type CallerIdentity, type IdentityResolver } from '../security';
import { requestCookies } from './inbox-cookies';
import { InboxSessionService } from './inbox-session.service';
import { CSRF_HEADER, SESSION_COOKIE } from './inbox.constants';

/** Whether a browser says the request comes from another site (Origin / Sec-Fetch-Site). */
export function crossSite(req: FastifyRequest): boolean {
  const site = req.headers['sec-fetch-site'];
  if (site === 'cross-site' || site === 'same-site') return true;
  const origin = req.headers.origin;
  if (typeof origin !== 'string') return false;
  try {
    return new URL(origin).host !== req.headers.host;
  } catch {
    return true;
  }
}

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
    private readonly resolvers: IdentityResolvers,
  ) {}

  onModuleInit(): void {
    this.resolvers.register(this, RESOLVER_ORDER.session);
  }

  async resolve(req: FastifyRequest): Promise<CallerIdentity | null> {
    const cookie = requestCookies(req)[SESSION_COOKIE];
    if (!cookie) return null;
    const session = await this.sessions.read(cookie);
    if (session === null) return null;
    if (crossSite(req) || !InboxSessionService.csrfMatches(session, req.headers[CSRF_HEADER]))
      throw new ForbiddenException(
        `A session-authenticated request needs the page's CSRF token in ${CSRF_HEADER} and must come from the same origin`,
      );
    return { name: session.name, roles: session.roles };
  }
}
