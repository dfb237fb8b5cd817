import { createServer } from 'node:http';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import Provider, { type ProviderContext } from 'oidc-provider';
import { freePort } from './child';
import { listenLoopback, type LoopbackServer } from './loopback-server';

/** Test people: their groups map to Mira roles through auth.oidc.roles_map. */
export const TEST_USERS: Record<string, { name: string; groups: string[] }> = {
  alice: { name: 'Alice Finance', groups: ['finance-leads'] },
  bob: { name: 'Bob Compliance', groups: ['compliance-leads'] },
  carol: { name: 'Carol Requester', groups: ['programme-managers'] },
};
/** The two reviewer groups plus the requesters, as a company's provider names them. */
export const TEST_ROLES_MAP = {
  'finance-leads': ['approver'],
  'compliance-leads': ['approver', 'auditor'],
  'programme-managers': ['submitter'],
};
export const TEST_CLIENT_ID = 'mira-inbox';
export const TEST_CLIENT_SECRET = 'oidc-client-secret-7c1f0e5a9b2d';

export interface SigningKey {
  kid: string;
  privateKey: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
  publicJwk: JWK;
  privateJwk: JWK;
}

export async function newSigningKey(kid: string): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  return {
    kid,
    privateKey,
    publicJwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' },
    privateJwk: { ...(await exportJWK(privateKey)), kid, alg: 'RS256', use: 'sig' },
  };
}

export interface TestOidcProvider {
  issuer: string;
  /** The key new tokens are signed with (the first of the published set). */
  readonly signingKey: SigningKey;
  /** Publishes a new key first (the old one stays published), as a provider rotating keys does. */
  rotate(): Promise<SigningKey>;
  /** A token signed with the provider's current key (claims override the defaults). */
  token(
    claims?: Record<string, unknown>,
    options?: { key?: SigningKey; expiresIn?: string | number },
  ): Promise<string>;
  /** A real access token from the provider's token endpoint (client_credentials, JWT format). */
  clientCredentialsToken(): Promise<string>;
  close(): Promise<void>;
}

/**
 * A real OpenID Connect provider (oidc-provider, certified) on a free loopback port: the inbox
 * client (code + PKCE, client_secret_basic), development login screens (any password; the login
 * name is the account), JWT access tokens for client_credentials. A key rotation restarts the
 * provider on the same port with the new key set.
 */
export async function startOidcProvider(options: {
  redirectUri: () => string;
  port?: number;
}): Promise<TestOidcProvider> {
  const port = options.port ?? (await freePort());
  const issuer = `http://127.0.0.1:${port}`;
  let keys = [await newSigningKey('key-1')];
  let server: LoopbackServer | null = null;

  const build = () => {
    const provider = new Provider(issuer, {
      clients: [
        {
          client_id: TEST_CLIENT_ID,
          client_secret: TEST_CLIENT_SECRET,
          redirect_uris: [options.redirectUri()],
          post_logout_redirect_uris: [options.redirectUri().replace(/\/inbox\/callback$/, '/inbox')],
          grant_types: ['authorization_code', 'client_credentials'],
          response_types: ['code'],
        },
      ],
      jwks: { keys: keys.map((k) => k.privateJwk) },
      cookies: { keys: ['oidc-test-cookie-key'] },
      claims: { openid: ['sub'], profile: ['name', 'preferred_username'], groups: ['groups'] },
      scopes: ['openid', 'profile', 'groups', 'api'],
      // Claims in the ID token itself, so a sign-in needs no userinfo round trip.
      conformIdTokenClaims: false,
      findAccount: (_ctx: ProviderContext, id: string) => {
        const user = TEST_USERS[id];
        if (!user) return undefined;
        return {
          accountId: id,
          claims: () => ({ sub: id, preferred_username: id, name: user.name, groups: user.groups }),
        };
      },
      // Consent is implied (the company's own app): the dev login form is the only screen.
      loadExistingGrant: async (ctx: ProviderContext) => {
        const grant = new ctx.oidc.provider.Grant({
          clientId: ctx.oidc.client!.clientId,
          accountId: ctx.oidc.session!.accountId!,
        });
        grant.addOIDCScope('openid profile groups');
        await grant.save();
        return grant;
      },
      features: {
        devInteractions: { enabled: true },
        clientCredentials: { enabled: true },
        rpInitiatedLogout: { enabled: true },
        resourceIndicators: {
          enabled: true,
          // client_credentials tokens are JWTs for the API; a person's sign-in token stays a
          // userinfo token (as most providers issue it), which the inbox re-checks roles with.
          defaultResource: (ctx: { oidc: { params?: { grant_type?: unknown } } }) =>
            ctx.oidc.params?.grant_type === 'client_credentials' ? 'urn:mira:api' : undefined,
          useGrantedResource: () => true,
          getResourceServerInfo: () => ({
            scope: 'api',
            audience: TEST_CLIENT_ID,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: 'RS256' } },
          }),
        },
      },
      extraTokenClaims: () => ({ groups: ['finance-leads'], preferred_username: 'ci-robot' }),
      pkce: { required: () => true },
    });
    return provider;
  };

  const listen = async () => {
    server = await listenLoopback(createServer(build().callback()), port);
  };
  const stop = async () => {
    const s = server;
    server = null;
    await s?.close();
  };
  await listen();

  return {
    issuer,
    get signingKey() {
      return keys[0];
    },
    async rotate() {
      const next = await newSigningKey(`key-${keys.length + 1}`);
      keys = [next, ...keys];
      await stop();
      await listen();
      return next;
    },
    async token(claims = {}, opts = {}) {
      const key = opts.key ?? keys[0];
      return new SignJWT({ preferred_username: 'svc-robot', groups: ['finance-leads'], ...claims })
        .setProtectedHeader({ alg: 'RS256', kid: key.kid })
        .setIssuer(typeof claims.iss === 'string' ? claims.iss : issuer)
        .setAudience((claims.aud as string | string[]) ?? TEST_CLIENT_ID)
        .setSubject(typeof claims.sub === 'string' ? claims.sub : 'svc-robot')
        .setIssuedAt()
        .setExpirationTime(opts.expiresIn ?? '5m')
        .sign(key.privateKey);
    },
    async clientCredentialsToken() {
      const res = await fetch(`${issuer}/token`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from(`${TEST_CLIENT_ID}:${TEST_CLIENT_SECRET}`).toString('base64')}`,
        },
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          scope: 'api',
          resource: 'urn:mira:api',
        }),
      });
      const body = (await res.json()) as { access_token?: string; error_description?: string };
      if (!res.ok || !body.access_token)
        throw new Error(`token endpoint answered ${res.status}: ${body.error_description}`);
      return body.access_token;
    },
    close: stop,
  };
}
