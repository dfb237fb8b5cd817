import { hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { ForbiddenException, Inject, Injectable, Optional } from '@nestjs/common';
import { ConfigStore } from '@mira/config';
import { STATE_STORE, type StateStore } from '@mira/state';
import { isUnresolvedReference } from '@mira/secrets';
import type { FastifyRequest } from 'fastify';
import type { JWTPayload } from 'jose';
import { CredentialRevocations, type ApiRole, type CallerIdentity, type LoginTransaction } from '../security';
import { requestCookies } from './inbox-cookies';
import { jose } from '../security/oidc-libraries';
import { InboxError } from './inbox.error';
import { CSRF_HEADER, LOGIN_TTL_SECONDS, SESSION_COOKIE } from './inbox.constants';
import { crossSite } from './cross-site';

export interface InboxSession extends Pick<CallerIdentity, 'name' | 'roles'> {
  /** Session id: what logout revokes. */
  sid: string;
  /** Synchronizer token the page echoes in X-CSRF-Token. */
  csrf: string;
  /** Sign-in time (seconds); the lifetime is checked against the current config. */
  iat: number;
  exp: number;
  /** The provider's subject and the sign-in's access token: how its roles are asked again. */
  sub?: string;
  at?: string;
}

const MIN_SECRET_LENGTH = 32;

/**
 * Sessions as encrypted, expiring cookies (JWE, dir + A256GCM, key derived with HKDF from
 * `auth.session.secret`): any replica can read them without shared storage, and the browser can
 * neither read nor alter them. The lifetime is enforced here from the sign-in time (a shorter
 * `ttl_seconds` applies to existing sessions too), not only by the cookie's Max-Age. Logout
 * records the session id as revoked in the state store (shared by all replicas on PostgreSQL)
 * until the session would have expired anyway, so a copy of a logged-out cookie is refused
 * everywhere. A store that cannot be read refuses the session (fail closed).
 */
@Injectable()
export class InboxSessionService {
  private keyCache: { secret: string; session: Uint8Array; login: Uint8Array } | null = null;

  constructor(
    private readonly config: ConfigStore,
    @Inject(STATE_STORE) private readonly store: StateStore,
    @Optional() private readonly revocations: CredentialRevocations | null = null,
  ) {}

  get ttlSeconds(): number {
    return this.config.get('auth').session.ttl_seconds;
  }

  /** Throws when the secret is missing, unresolved or too short (checked at start and on use). */
  keys(): { session: Uint8Array; login: Uint8Array } {
    const secret = this.config.get('auth').session.secret;
    if (secret === null || isUnresolvedReference(secret) || secret.length < MIN_SECRET_LENGTH)
      throw new InboxError(
        'INBOX_SESSION_SECRET',
        `auth.session.secret must be set to at least ${MIN_SECRET_LENGTH} characters (a secret:// reference) for the inbox sign-in`,
      );
    if (this.keyCache?.secret !== secret) {
      const derive = (info: string) => new Uint8Array(hkdfSync('sha256', secret, 'mira-inbox', info, 32));
      this.keyCache = { secret, session: derive('session cookie v1'), login: derive('login cookie v1') };
    }
    return this.keyCache;
  }

  async issue(
    identity: Pick<CallerIdentity, 'name' | 'roles'>,
    grant?: { sub: string; accessToken: string },
  ): Promise<{ cookie: string; session: InboxSession }> {
    const now = Math.floor(Date.now() / 1000);
    const session: InboxSession = {
      name: identity.name,
      roles: identity.roles,
      sid: randomBytes(16).toString('base64url'),
      csrf: randomBytes(24).toString('base64url'),
      iat: now,
      exp: now + this.ttlSeconds,
      ...(grant ? { sub: grant.sub, at: grant.accessToken } : {}),
    };
    const cookie = await new (jose().EncryptJWT)({
      name: session.name,
      roles: session.roles,
      csrf: session.csrf,
      ...(grant ? { sub: grant.sub, at: grant.accessToken } : {}),
    })
      .setProtectedHeader({ alg: 'dir', enc: 'A256GCM' })
      .setJti(session.sid)
      .setIssuedAt(session.iat)
      .setExpirationTime(session.exp)
      .encrypt(this.keys().session);
    return { cookie, session };
  }

  /**
   * The session in a cookie value, or null when it is absent, forged, expired or revoked. A state
   * store that can't say whether it was revoked throws (503), so an outage doesn't read as "signed
   * out" to the inbox page.
   */
  async read(cookie: string | undefined): Promise<InboxSession | null> {
    if (!cookie) return null;
    let payload: JWTPayload;
    try {
      ({ payload } = await jose().jwtDecrypt(cookie, this.keys().session, {
        requiredClaims: ['jti', 'iat', 'exp'],
      }));
    } catch {
      return null;
    }
    const iat = payload.iat!;
    if (Math.floor(Date.now() / 1000) >= iat + this.ttlSeconds) return null;
    if (await this.store.isSessionRevoked(payload.jti!, new Date().toISOString())) return null;
    if (typeof payload.name !== 'string' || typeof payload.csrf !== 'string' || !Array.isArray(payload.roles))
      return null;
    return {
      name: payload.name,
      roles: payload.roles as ApiRole[],
      csrf: payload.csrf,
      sid: payload.jti!,
      iat,
      exp: payload.exp!,
      ...(typeof payload.sub === 'string' && typeof payload.at === 'string'
        ? { sub: payload.sub, at: payload.at }
        : {}),
    };
  }

  /** Ends the session on every replica: its id is refused until it would have expired anyway. */
  async revoke(session: InboxSession): Promise<void> {
    // Until the token's own expiry: no ttl_seconds change can make it valid beyond that.
    await this.store.revokeSession(
      session.sid,
      new Date(session.exp * 1000).toISOString(),
      new Date().toISOString(),
    );
    // Live streams opened with this session close now (other replicas: at their next check).
    this.revocations?.revoked();
  }

  /**
   * The session a request may act with: null when it carries none (or a dead one); a
   * ForbiddenException when the cookie rides along cross-site or without the page's CSRF token
   * (a forged form, a script elsewhere, a stolen cookie), which authenticates nothing.
   */
  async authorise(req: FastifyRequest): Promise<InboxSession | null> {
    const session = await this.read(requestCookies(req)[SESSION_COOKIE]);
    if (session === null) return null;
    if (crossSite(req) || !InboxSessionService.csrfMatches(session, req.headers[CSRF_HEADER]))
      throw new ForbiddenException(
        `A session-authenticated request needs the page's CSRF token in ${CSRF_HEADER} and must come from the same origin`,
      );
    return session;
  }

  /** Constant-time comparison of the presented CSRF token with the session's. */
  static csrfMatches(session: InboxSession, presented: string | string[] | undefined): boolean {
    const value = Array.isArray(presented) ? presented[0] : presented;
    if (typeof value !== 'string') return false;
    const a = Buffer.from(value);
    const b = Buffer.from(session.csrf);
    return a.length === b.length && timingSafeEqual(a, b);
  }

  async sealLogin(tx: LoginTransaction): Promise<string> {
    return new (jose().EncryptJWT)({ ...tx })
      .setProtectedHeader({ alg: 'dir', enc: 'A256GCM' })
      .setIssuedAt()
      .setExpirationTime(`${LOGIN_TTL_SECONDS}s`)
      .encrypt(this.keys().login);
  }

  async openLogin(cookie: string | undefined): Promise<LoginTransaction | null> {
    if (!cookie) return null;
    try {
      const { payload } = await jose().jwtDecrypt(cookie, this.keys().login);
      const { verifier, state, nonce } = payload as Partial<LoginTransaction>;
      if (typeof verifier !== 'string' || typeof state !== 'string' || typeof nonce !== 'string') return null;
      return { verifier, state, nonce };
    } catch {
      return null;
    }
  }
}
