import { request, startTestApp, type TestApp } from './support/test-app';
import {
  newSigningKey,
  startOidcProvider,
  TEST_CLIENT_ID,
  TEST_CLIENT_SECRET,
  TEST_ROLES_MAP,
  type TestOidcProvider,
} from './support/oidc-provider';

/** Bearer JWTs from a real OpenID Connect provider on /api/*, beside API keys. */
describe('bearer JWTs from the OIDC provider', () => {
  let idp: TestOidcProvider;
  let app: TestApp;
  const API_KEY = 'bearer-suite-api-key-0f9e8d7c';

  beforeAll(async () => {
    idp = await startOidcProvider({ redirectUri: () => 'http://127.0.0.1:1/inbox/callback' });
    app = await startTestApp({
      overrides: {
        api: { keys: [{ name: 'ops-key', key: API_KEY, roles: ['auditor'] }] },
        auth: {
          oidc: {
            issuer: idp.issuer,
            client_id: TEST_CLIENT_ID,
            client_secret: TEST_CLIENT_SECRET,
            roles_claim: 'groups',
            roles_map: TEST_ROLES_MAP,
            clock_skew_seconds: 5,
            // Rotation is picked up at the first token with an unknown key id.
            jwks_cooldown_seconds: 0,
          },
        },
      },
    });
  }, 30000);
  afterAll(async () => {
    await app?.close();
    await idp?.close();
  });

  const call = (token: string, path = '/api/v1/workflows?status=pending_approval') =>
    request(`${app.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
  /** Approve an unknown workflow: 404 proves the approver role passed the guard, 403 that it did not. */
  const approve = (token: string) =>
    request(`${app.url}/api/v1/workflows/wf-none/approve`, {
      body: {},
      headers: { authorization: `Bearer ${token}` },
    });

  it('accepts a valid token and a real access token from the provider', async () => {
    const res = await call(await idp.token());
    expect(res.status).toBe(200);
    expect(res.body.items).toEqual([]);
    const real = await idp.clientCredentialsToken();
    expect((await call(real)).status).toBe(200);
  });

  it('leaves the inbox sign-in off without a redirect_uri (404 naming the keys, no 5xx)', async () => {
    const res = await request(`${app.url}/inbox/login`);
    expect(res.status).toBe(404);
    expect(res.text).toContain('auth.oidc.issuer, client_id and redirect_uri');
  });

  it('keeps API keys working beside JWTs', async () => {
    expect((await call(API_KEY)).status).toBe(200);
    expect((await call('not-a-key')).status).toBe(401);
  });

  it('refuses an expired token (beyond the clock skew)', async () => {
    const expired = await idp.token({}, { expiresIn: Math.floor(Date.now() / 1000) - 60 });
    const res = await call(expired);
    expect(res.status).toBe(401);
    expect(res.body.message).toMatch(/expired/);
    // Within the skew it still counts.
    const justExpired = await idp.token({}, { expiresIn: Math.floor(Date.now() / 1000) - 2 });
    expect((await call(justExpired)).status).toBe(200);
  });

  it('refuses a token for another audience', async () => {
    const res = await call(await idp.token({ aud: 'some-other-client' }));
    expect(res.status).toBe(401);
    expect(res.text).toMatch(/audience/);
  });

  it('refuses a token from another issuer, even signed with the right key', async () => {
    const res = await call(await idp.token({ iss: 'https://evil.example.com' }));
    expect(res.status).toBe(401);
    expect(res.text).toMatch(/issuer/);
  });

  it('refuses a token signed with a key the provider does not publish', async () => {
    const stranger = await newSigningKey('key-unknown');
    const res = await call(await idp.token({}, { key: stranger }));
    expect(res.status).toBe(401);
    expect(res.text).toMatch(/signing key/);
    // Same kid as the provider's key, different key material: the signature fails.
    const impostor = { ...(await newSigningKey(idp.signingKey.kid)) };
    expect((await call(await idp.token({}, { key: impostor }))).status).toBe(401);
  });

  it('picks up a key rotation at the provider without a restart', async () => {
    const before = idp.signingKey;
    expect((await call(await idp.token())).status).toBe(200);
    const rotated = await idp.rotate();
    expect(rotated.kid).not.toBe(before.kid);
    const res = await call(await idp.token({}, { key: rotated }));
    expect(res.status).toBe(200);
    // The previous key is still published, so tokens issued before the rotation keep working.
    expect((await call(await idp.token({}, { key: before }))).status).toBe(200);
    expect((await call(await idp.clientCredentialsToken())).status).toBe(200);
  });

  it('maps the provider groups to Mira roles and the actor to preferred_username, then sub', async () => {
    // finance-leads -> approver: the guard lets the call through to the workflow lookup (404).
    expect((await approve(await idp.token({ groups: ['finance-leads'] }))).status).toBe(404);
    // programme-managers -> submitter only: refused with the roles named.
    const submitter = await approve(
      await idp.token({ groups: ['programme-managers'], preferred_username: 'pm-1' }),
    );
    expect(submitter.status).toBe(403);
    expect(submitter.body.message).toContain('"pm-1" has: submitter');
    // A value that names a Mira role maps to it without roles_map; unknown values give nothing.
    const direct = await approve(
      await idp.token({ groups: ['auditor', 'unknown-group'], preferred_username: undefined, sub: 'sub-7' }),
    );
    expect(direct.status).toBe(403);
    expect(direct.body.message).toContain('"sub-7" has: auditor');
    // The stable id (issuer host + sub) and the display name are recorded on what the caller submits.
    const submitted = await request(`${app.url}/api/v1/workflows`, {
      body: { workflow_type: 'project_initialization', data: { name: 'P', description: 'd', goals: ['g'] } },
      headers: {
        authorization: `Bearer ${await idp.token({ groups: ['programme-managers'], preferred_username: 'pm-2' })}`,
      },
    });
    expect([200, 202]).toContain(submitted.status);
    expect(submitted.body.requested_by).toBe(`oidc:${new URL(idp.issuer).host}:svc-robot`);
    expect(submitted.body.requested_by_name).toBe('pm-2');
  });

  it('refuses a signed-in caller with no Mira role (no read access either) and an ID token as a credential', async () => {
    const roleless = await call(
      await idp.token({ groups: ['unknown-group'], preferred_username: 'visitor' }),
    );
    expect(roleless.status).toBe(403);
    expect(roleless.body.message).toContain('visitor has no Mira role');
    const idToken = await call(await idp.token({ nonce: 'n-1' }));
    expect(idToken.status).toBe(401);
    expect(idToken.body.message).toContain('ID token');
  });
});
