import { loadConfig } from '@mira/config';
import { actorName, claimAt, mapRoles } from './role-mapping';

const oidc = (overrides: Record<string, unknown> = {}) =>
  loadConfig({
    file: null,
    env: {},
    overrides: { auth: { oidc: { issuer: 'https://id.example.com', client_id: 'mira', ...overrides } } },
  }).config.auth.oidc;

describe('OIDC role mapping', () => {
  it('maps provider values through roles_map and takes Mira role names as they are', () => {
    const o = oidc({
      roles_claim: 'groups',
      roles_map: { 'finance-leads': ['approver'], ops: ['auditor', 'admin'] },
    });
    expect(mapRoles({ groups: ['finance-leads', 'submitter', 'strangers'] }, o)).toEqual([
      'submitter',
      'approver',
    ]);
    expect(mapRoles({ groups: 'ops' }, o)).toEqual(['auditor', 'admin']);
    expect(mapRoles({ groups: 'approver submitter' }, o)).toEqual(['submitter', 'approver']);
    expect(mapRoles({}, o)).toEqual([]);
    // Inherited object keys are not role names.
    expect(mapRoles({ groups: ['constructor', '__proto__', 'toString'] }, o)).toEqual([]);
  });

  it('defaults to the roles claim and follows dotted paths', () => {
    expect(mapRoles({ roles: ['approver'] }, oidc())).toEqual(['approver']);
    const keycloak = oidc({ roles_claim: 'realm_access.roles' });
    expect(mapRoles({ realm_access: { roles: ['auditor'] } }, keycloak)).toEqual(['auditor']);
    expect(claimAt({ 'a.b': 1, a: { b: 2 } }, 'a.b')).toBe(1);
  });

  it('names the actor by preferred_username, then sub, or the configured claims', () => {
    expect(actorName({ preferred_username: 'alice', sub: 's1' }, oidc())).toBe('alice');
    expect(actorName({ preferred_username: '', sub: 's1' }, oidc())).toBe('s1');
    expect(actorName({}, oidc())).toBeNull();
    expect(actorName({ email: 'a@example.com', sub: 's1' }, oidc({ actor_claims: ['email'] }))).toBe(
      'a@example.com',
    );
  });

  it('refuses an issuer without a client id at load', () => {
    expect(() =>
      loadConfig({
        file: null,
        env: {},
        overrides: { auth: { oidc: { issuer: 'https://id.example.com' } } },
      }),
    ).toThrow(/client_id/);
  });
});
