import { SignJWT } from 'jose';
import { request, startTestApp, type TestApp } from './support/test-app';
import {
  startOidcProvider,
  TEST_CLIENT_ID,
  TEST_CLIENT_SECRET,
  TEST_ROLES_MAP,
  type TestOidcProvider,
} from './support/oidc-provider';

// Issue 25 item 3 over real HTTP with a real OIDC provider: identities are (source, subject);
// display names label them and never decide a rule.

describe('stable identities (API keys and bearer JWTs)', () => {
  let idp: TestOidcProvider;
  let app: TestApp;
  const KEYS = { alice: 'ident-alice-key-0123456789' };

  beforeAll(async () => {
    idp = await startOidcProvider({ redirectUri: () => 'http://127.0.0.1:1/inbox/callback' });
    app = await startTestApp({
      overrides: {
        api: {
          keys: [{ name: 'alice', key: KEYS.alice, roles: ['submitter', 'approver'] }],
        },
        auth: {
          oidc: {
            issuer: idp.issuer,
            client_id: TEST_CLIENT_ID,
            client_secret: TEST_CLIENT_SECRET,
            roles_claim: 'groups',
            roles_map: { ...TEST_ROLES_MAP, both: ['submitter', 'approver'] },
            clock_skew_seconds: 5,
          },
        },
        governance: { approvals_required: { high: 2 } },
      },
    });
  }, 30000);
  afterAll(async () => {
    await app?.close();
    await idp?.close();
  });

  const host = () => new URL(idp.issuer).host;
  const person = (sub: string, preferred_username: string) =>
    idp.token({ sub, preferred_username, groups: ['both'] });
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  const submit = async (headers: Record<string, string>) =>
    request(`${app.url}/api/v1/workflows`, {
      body: {
        workflow_type: 'project_initialization',
        data: { name: 'P', goals: ['g'] },
        governance_data: { financial_impact: 50000 },
      },
      headers,
    });
  const approve = (id: string, headers: Record<string, string>) =>
    request(`${app.url}/api/v1/workflows/${id}/approve`, { body: {}, headers });

  it('the same sub under two preferred_usernames is one person: self-approval and a second vote refused', async () => {
    const created = await submit(bearer(await person('u-100', 'alice.smith')));
    expect(created.body).toMatchObject({
      requested_by: `oidc:${host()}:u-100`,
      requested_by_name: 'alice.smith',
    });
    const id = created.body.workflow_id as string;
    const self = await approve(id, bearer(await person('u-100', 'asmith')));
    expect(self.status).toBe(403);
    expect(self.body.message).toContain('Separation of duties');

    const first = await approve(id, bearer(await person('u-200', 'bob')));
    expect(first.body).toMatchObject({ approvals: 1 });
    const again = await approve(id, bearer(await person('u-200', 'robert')));
    expect(again.status).toBe(403);
    expect(again.body.message).toContain('one approver counts once');
  });

  it('two people with the same display name are two approvers', async () => {
    const id = (await submit(bearer(await person('u-300', 'carol')))).body.workflow_id as string;
    expect((await approve(id, bearer(await person('u-401', 'sam')))).body).toMatchObject({ approvals: 1 });
    const second = await approve(id, bearer(await person('u-402', 'sam')));
    expect(second.body).toMatchObject({ status: 'approved', approvals: 2 });
    expect(
      second.body.decisions.map((d: { actor: string; actor_name: string }) => [d.actor, d.actor_name]),
    ).toEqual([
      [`oidc:${host()}:u-401`, 'sam'],
      [`oidc:${host()}:u-402`, 'sam'],
    ]);
  });

  it('a provider user named system gets a distinct id, never the service own', async () => {
    const created = await submit(bearer(await person('system', 'system')));
    expect(created.body.requested_by).toBe(`oidc:${host()}:system`);
    expect(created.body.requested_by).not.toBe('system');
  });

  it('an API key and an OIDC user with the same name are different people', async () => {
    const created = await submit(bearer(KEYS.alice));
    expect(created.body).toMatchObject({ requested_by: 'key:alice', requested_by_name: 'alice' });
    // An OIDC user whose sub and display name are both "alice" is not the key: their vote counts.
    const vote = await approve(created.body.workflow_id, bearer(await person('alice', 'alice')));
    expect(vote.status).toBe(200);
    expect(vote.body.decisions[0]).toMatchObject({ actor: `oidc:${host()}:alice`, actor_name: 'alice' });
    // And the key cannot approve what it requested.
    expect((await approve(created.body.workflow_id, bearer(KEYS.alice))).status).toBe(403);
  });

  it('refuses a token without sub', async () => {
    const key = idp.signingKey;
    const token = await new SignJWT({ preferred_username: 'nobody', groups: ['both'] })
      .setProtectedHeader({ alg: 'RS256', kid: key.kid })
      .setIssuer(idp.issuer)
      .setAudience(TEST_CLIENT_ID)
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(key.privateKey);
    const res = await request(`${app.url}/api/v1/workflows`, { headers: bearer(token) });
    expect(res.status).toBe(401);
    expect(res.body.message).toContain('"sub"');
  });
});
