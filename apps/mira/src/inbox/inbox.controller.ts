import { Controller, Get, HttpCode, Logger, Param, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ConfigStore } from '@mira/config';
import { mapRoles, actorName, OidcClientService, oidcSubjectId, subjectOf } from '../security';
import { InboxAssetsService } from './inbox-assets.service';
import { requestCookies, setCookie } from './inbox-cookies';
import { InboxSessionService } from './inbox-session.service';
import { SessionRolesService } from './session-roles.service';
import { LOGIN_COOKIE, LOGIN_TTL_SECONDS, SESSION_COOKIE } from './inbox.constants';
import { crossSite } from './cross-site';

/**
 * The page's own policy: scripts and styles only from this service (no inline script, no CDN),
 * calls only to this service, never framed. Replaces the document headers set for every route.
 */
const PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

function pageHeaders(reply: FastifyReply): FastifyReply {
  return reply
    .header('content-security-policy', PAGE_CSP)
    .header('x-frame-options', 'DENY')
    .header('referrer-policy', 'no-referrer');
}

/** A short plain page for sign-in failures: nothing from the request is echoed. */
function problem(reply: FastifyReply, status: number, message: string): void {
  void pageHeaders(reply)
    .status(status)
    .header('cache-control', 'no-store')
    .type('text/plain; charset=utf-8')
    .send(`${message}\n`);
}

/**
 * The reviewers' inbox: the page (/inbox, never cached) and its assets (versioned URLs, cached
 * a year), OpenID Connect sign-in (authorization code + PKCE via openid-client), the session
 * the page reads its CSRF token from, and logout.
 */
@Controller('inbox')
export class InboxController {
  private readonly logger = new Logger('Inbox');

  constructor(
    private readonly assets: InboxAssetsService,
    private readonly sessions: InboxSessionService,
    private readonly roles: SessionRolesService,
    private readonly oidc: OidcClientService,
    private readonly config: ConfigStore,
  ) {}

  @Get()
  page(@Res() reply: FastifyReply): void {
    const html = this.assets.page();
    // Not built (a source checkout that never ran npm run build): say so, without a 5xx.
    if (html === null) return problem(reply, 404, 'The inbox page is not built: run npm run build');
    void pageHeaders(reply).header('cache-control', 'no-store').type('text/html; charset=utf-8').send(html);
  }

  @Get('assets/:file')
  asset(@Param('file') file: string, @Res() reply: FastifyReply): void {
    const asset = this.assets.asset(file);
    if (asset === null)
      return problem(reply, 404, 'Not found (run npm run build if the inbox page is not built)');
    void pageHeaders(reply)
      // The entry files' URLs carry their content hash; the modules app.js imports do not.
      .header(
        'cache-control',
        file === 'app.js' || file === 'inbox.css' ? 'public, max-age=31536000, immutable' : 'no-cache',
      )
      .header('x-content-type-options', 'nosniff')
      .type(asset.type)
      .send(asset.body);
  }

  /** Starts a sign-in: PKCE verifier, state and nonce go into a short-lived encrypted cookie. */
  @Get('login')
  async login(@Res() reply: FastifyReply): Promise<void> {
    if (!this.oidc.signInEnabled) return signInNotConfigured(reply);
    let begun: Awaited<ReturnType<OidcClientService['beginSignIn']>>;
    try {
      begun = await this.oidc.beginSignIn();
    } catch {
      return problem(reply, 503, 'The identity provider cannot be reached right now; try again in a moment');
    }
    setCookie(reply, LOGIN_COOKIE, await this.sessions.sealLogin(begun.tx), LOGIN_TTL_SECONDS);
    void reply.header('cache-control', 'no-store').redirect(begun.url.href, 302);
  }

  /** The provider sends the person back here: code exchange, ID token checks, then the session. */
  @Get('callback')
  async callback(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const o = this.oidc.settings;
    if (!this.oidc.signInEnabled) return signInNotConfigured(reply);
    const tx = await this.sessions.openLogin(requestCookies(req)[LOGIN_COOKIE]);
    if (tx === null)
      return problem(
        reply,
        400,
        'This sign-in has expired or was started elsewhere: open /inbox/login again',
      );
    setCookie(reply, LOGIN_COOKIE, '', 0);
    const current = new URL(o.redirect_uri!);
    current.search = req.url.includes('?') ? req.url.slice(req.url.indexOf('?')) : '';
    let claims: Record<string, unknown>;
    let accessToken: string;
    try {
      ({ claims, accessToken } = await this.oidc.completeSignIn(current, tx));
    } catch (err) {
      this.logger.warn(`Sign-in failed: ${(err as Error).message}`);
      return problem(
        reply,
        401,
        'Sign-in failed: the identity provider did not confirm who you are. Try again.',
      );
    }
    // The identity is the subject; a provider answer without one names nobody.
    const sub = subjectOf(claims);
    if (sub === null) return problem(reply, 401, 'Sign-in failed: the identity provider named no user');
    const name = actorName(claims, o) ?? sub;
    const roles = mapRoles(claims, o);
    // Nobody without a Mira role gets a session: it would still read every workflow.
    if (roles.length === 0)
      return problem(
        reply,
        403,
        `${name} has no Mira role: ask an administrator to map your group to a role (auth.oidc.roles_map)`,
      );
    const { cookie } = await this.sessions.issue({ name, roles }, { sub, accessToken });
    setCookie(reply, SESSION_COOKIE, cookie, this.sessions.ttlSeconds);
    this.logger.log(`${name} signed in to the inbox`);
    void reply.header('cache-control', 'no-store').redirect('/inbox', 302);
  }

  /** Who is signed in, and the CSRF token the page sends with every call. 401 when signed out. */
  @Get('session')
  async session(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const signedIn = await this.sessions.read(requestCookies(req)[SESSION_COOKIE]);
    const session = signedIn === null || crossSite(req) ? null : await this.roles.current(signedIn);
    void reply.header('cache-control', 'no-store');
    if (session === null) {
      void reply.status(401).send({ statusCode: 401, error: 'Unauthorized', message: 'Not signed in' });
      return;
    }
    void reply.send({
      // The stable id the records carry (requested_by, decisions' actor); name is for display.
      id:
        session.sub !== undefined && this.oidc.settings.issuer !== null
          ? oidcSubjectId(this.oidc.settings.issuer, session.sub)
          : null,
      name: session.name,
      roles: session.roles,
      csrf_token: session.csrf,
      expires_at: new Date(
        Math.min(session.exp, session.iat + this.sessions.ttlSeconds) * 1000,
      ).toISOString(),
      allow_self_approval: this.config.get('governance').allow_self_approval,
    });
  }

  /**
   * Ends the session: revoked here, cookie cleared, and the provider's end-session URL (when it
   * has one) returned for the page to open, so the provider's own session ends too.
   */
  @Post('logout')
  @HttpCode(200)
  async logout(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const session = await this.sessions.authorise(req);
    // The cookie goes first: a store that cannot record the revocation must not keep it set.
    setCookie(reply, SESSION_COOKIE, '', 0);
    if (session !== null) {
      try {
        await this.sessions.revoke(session);
        this.logger.log(`${session.name} signed out of the inbox`);
      } catch (err) {
        this.logger.error(`Could not record the sign-out of ${session.name}: ${(err as Error).message}`);
        void reply.status(503).send({
          statusCode: 503,
          error: 'Service Unavailable',
          message:
            'Signed out here, but the sign-out could not be recorded for the other replicas; try again',
        });
        return;
      }
    }
    const logoutUrl = (await this.oidc.endSessionUrl()) ?? '/inbox';
    void reply.header('cache-control', 'no-store').send({ logged_out: true, logout_url: logoutUrl });
  }
}

/** 404 for the sign-in routes while OIDC sign-in is off or has no redirect_uri. */
function signInNotConfigured(reply: FastifyReply): void {
  return problem(reply, 404, 'Sign-in is not configured: set auth.oidc.issuer, client_id and redirect_uri');
}
