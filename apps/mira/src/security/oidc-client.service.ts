import { Injectable, Logger } from '@nestjs/common';
import type { JWTVerifyGetKey } from 'jose';
import type * as client from 'openid-client';
import { ConfigStore, type MiraConfig } from '@mira/config';
import { jose, openIdClient } from './oidc-libraries';
import { isUnresolvedReference } from '@mira/secrets';
import { SecurityError } from './security.error';

type OidcConfig = MiraConfig['auth']['oidc'];

/** The PKCE verifier, state and nonce a sign-in carries from its start to the provider's answer. */
export interface LoginTransaction {
  verifier: string;
  state: string;
  nonce: string;
}

/** What a completed sign-in tells about the person: the ID token's claims (plus userinfo's where needed). */
export interface CompletedSignIn {
  claims: Record<string, unknown>;
  /** The access token, for asking the provider again later (userinfo); never logged. */
  accessToken: string;
}

interface Discovered {
  key: string;
  configuration: Promise<client.Configuration>;
  jwks: Promise<JWTVerifyGetKey>;
}

/** Plain-HTTP issuers are accepted only on loopback (a provider started by tests or on a laptop). */
function isLoopback(url: URL): boolean {
  return ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
}

/**
 * The configured OpenID Connect provider: its discovered metadata (openid-client) and its key
 * set (jose's remote JWKS: keys are cached and an unknown key id refetches them, at most once
 * per `jwks_cooldown_seconds`, so a rotation at the provider is picked up without a restart).
 * Discovery runs on first use and again when the auth.oidc settings change; a failed discovery
 * is retried on the next request rather than remembered.
 */
@Injectable()
export class OidcClientService {
  private readonly logger = new Logger('Oidc');
  private current: Discovered | null = null;

  constructor(private readonly config: ConfigStore) {}

  get settings(): OidcConfig {
    return this.config.get('auth').oidc;
  }

  get enabled(): boolean {
    return this.settings.issuer !== null;
  }

  /** Whether the inbox sign-in can run: a provider and a redirect URI are configured. */
  get signInEnabled(): boolean {
    return this.enabled && this.settings.redirect_uri !== null;
  }

  /** The provider's authorization URL for a new sign-in (authorization code + PKCE) and its transaction. */
  async beginSignIn(): Promise<{ url: URL; tx: LoginTransaction }> {
    const o = this.settings;
    const configuration = await this.configuration();
    const oidc = openIdClient();
    const tx = {
      verifier: oidc.randomPKCECodeVerifier(),
      state: oidc.randomState(),
      nonce: oidc.randomNonce(),
    };
    const url = oidc.buildAuthorizationUrl(configuration, {
      redirect_uri: o.redirect_uri!,
      scope: o.scopes.join(' '),
      code_challenge: await oidc.calculatePKCECodeChallenge(tx.verifier),
      code_challenge_method: 'S256',
      state: tx.state,
      nonce: tx.nonce,
    });
    return { url, tx };
  }

  /**
   * The provider's answer at the callback URL (`url`, with its code and state): code exchange
   * and ID token checks against the transaction; throws when the provider did not confirm.
   */
  async completeSignIn(url: URL, tx: LoginTransaction): Promise<CompletedSignIn> {
    const o = this.settings;
    const configuration = await this.configuration();
    const tokens = await openIdClient().authorizationCodeGrant(configuration, url, {
      pkceCodeVerifier: tx.verifier,
      expectedState: tx.state,
      expectedNonce: tx.nonce,
      idTokenExpected: true,
    });
    let claims: Record<string, unknown> = { ...tokens.claims() };
    // Providers that keep groups out of the ID token hand them out at the userinfo endpoint.
    if (claims[o.roles_claim] === undefined && !o.roles_claim.includes('.'))
      claims = {
        ...(await openIdClient().fetchUserInfo(configuration, tokens.access_token, String(claims.sub))),
        ...claims,
      };
    return { claims, accessToken: tokens.access_token };
  }

  /**
   * Where the page sends the person after logout so the provider's own session ends too, or null
   * when sign-in is off, the provider has no end-session endpoint or cannot be reached.
   */
  async endSessionUrl(): Promise<string | null> {
    const o = this.settings;
    if (!this.signInEnabled) return null;
    try {
      const configuration = await this.configuration();
      if (!configuration.serverMetadata().end_session_endpoint) return null;
      return openIdClient().buildEndSessionUrl(configuration, {
        client_id: o.client_id!,
        post_logout_redirect_uri: new URL('/inbox', o.redirect_uri!).href,
      }).href;
    } catch {
      return null;
    }
  }

  /** The provider's current claims about a signed-in user (userinfo with the sign-in's access token). */
  async userInfo(accessToken: string, subject: string): Promise<Record<string, unknown>> {
    const configuration = await this.configuration();
    return { ...(await openIdClient().fetchUserInfo(configuration, accessToken, subject)) };
  }

  /** The audience bearer JWTs must carry (default: the client id). */
  get audience(): string {
    const o = this.settings;
    return o.audience ?? o.client_id ?? '';
  }

  configuration(): Promise<client.Configuration> {
    return this.discovered().configuration;
  }

  jwks(): Promise<JWTVerifyGetKey> {
    return this.discovered().jwks;
  }

  private discovered(): Discovered {
    const o = this.settings;
    if (o.issuer === null || o.client_id === null)
      throw new SecurityError(
        'SECURITY_OIDC_NOT_CONFIGURED',
        'OpenID Connect is not configured: set auth.oidc.issuer and auth.oidc.client_id',
      );
    const secret =
      o.client_secret !== null && !isUnresolvedReference(o.client_secret) ? o.client_secret : null;
    const key = JSON.stringify([o.issuer, o.client_id, secret, o.jwks_cooldown_seconds]);
    if (this.current?.key === key) return this.current;
    const issuer = new URL(o.issuer);
    const oidc = openIdClient();
    const configuration = oidc.discovery(
      issuer,
      o.client_id,
      secret ?? undefined,
      secret === null ? oidc.None() : undefined,
      issuer.protocol === 'http:' && isLoopback(issuer)
        ? { execute: [oidc.allowInsecureRequests] }
        : undefined,
    );
    const jwks = configuration.then((c) => {
      const uri = c.serverMetadata().jwks_uri;
      if (!uri) throw new Error('the provider publishes no jwks_uri');
      return jose().createRemoteJWKSet(new URL(uri), {
        cooldownDuration: o.jwks_cooldown_seconds * 1000,
        timeoutDuration: 5000,
      });
    });
    const entry: Discovered = { key, configuration, jwks };
    // Forget a failed discovery so the next request tries again (the provider may be starting).
    const forget = (err: Error) => {
      if (this.current === entry) this.current = null;
      this.logger.warn(`OpenID Connect discovery at ${issuer.origin} failed: ${err.message}`);
    };
    configuration.catch(forget);
    jwks.catch(() => undefined);
    this.current = entry;
    return entry;
  }
}
