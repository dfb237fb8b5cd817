import { Injectable, Logger } from '@nestjs/common';
import type { JWTVerifyGetKey } from 'jose';
import type * as client from 'openid-client';
import { ConfigStore, type MiraConfig } from '@mira/config';
import { jose, openIdClient } from './oidc-libraries';
import { isUnresolvedReference } from '@mira/secrets';
import { SecurityError } from './security.error';

type OidcConfig = MiraConfig['auth']['oidc'];

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
