import { ConfigStore, loadConfig } from '@mira/config';
import { SqliteStateStore } from '@mira/state';
import { InboxError } from './inbox.error';
import { InboxSessionService } from './inbox-session.service';

const SECRET = 'unit-session-secret-0123456789abcdefghij';
/** A real (in-memory) state store holds the revocations, as it does in the service. */
let store: SqliteStateStore;
const service = (session: Record<string, unknown> = { secret: SECRET }) =>
  new InboxSessionService(
    new ConfigStore(loadConfig({ file: null, env: {}, overrides: { auth: { session } } })),
    store,
  );

describe('inbox sessions (encrypted cookies)', () => {
  beforeEach(() => {
    store = SqliteStateStore.open(':memory:');
  });
  afterEach(async () => {
    jest.useRealTimers();
    await store.close();
  });

  it('round-trips an identity, with a CSRF token, and the browser cannot read or alter it', async () => {
    const s = service();
    const { cookie, session } = await s.issue({ name: 'alice', roles: ['approver'] });
    expect(cookie).not.toContain('alice');
    expect(session.csrf.length).toBeGreaterThanOrEqual(32);
    await expect(s.read(cookie)).resolves.toMatchObject({
      name: 'alice',
      roles: ['approver'],
      csrf: session.csrf,
    });
    const tampered = cookie.slice(0, -4) + (cookie.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    await expect(s.read(tampered)).resolves.toBeNull();
    // Another secret (another deployment) cannot read it.
    await expect(service({ secret: `${SECRET}-other` }).read(cookie)).resolves.toBeNull();
  });

  it('ends a session at its lifetime, and a shorter configured lifetime applies to existing sessions', async () => {
    const long = service({ secret: SECRET, ttl_seconds: 3600 });
    const { cookie } = await long.issue({ name: 'bob', roles: [] });
    jest.useFakeTimers({ now: Date.now() + 601_000, doNotFake: ['nextTick', 'setImmediate'] });
    await expect(long.read(cookie)).resolves.not.toBeNull();
    await expect(service({ secret: SECRET, ttl_seconds: 600 }).read(cookie)).resolves.toBeNull();
    jest.setSystemTime(Date.now() + 3600_000);
    await expect(long.read(cookie)).resolves.toBeNull();
  });

  it('revokes a session on logout, for every replica sharing the store, and fails closed without the store', async () => {
    const s = service();
    const { cookie, session } = await s.issue({ name: 'carol', roles: ['submitter'] });
    const other = await s.issue({ name: 'carol', roles: ['submitter'] });
    await s.revoke(session);
    await expect(s.read(cookie)).resolves.toBeNull();
    // Another replica (another service instance on the same store) refuses it too.
    await expect(service().read(cookie)).resolves.toBeNull();
    await expect(service().read(other.cookie)).resolves.not.toBeNull();
    await store.close();
    // Fails closed, and says why: the store's error (a 503 from the API), not "signed out", so the
    // inbox page does not end a live session over a database outage.
    await expect(s.read(other.cookie)).rejects.toMatchObject({ code: 'STATE_CLOSED' });
  });

  it('compares CSRF tokens exactly', async () => {
    const { session } = await service().issue({ name: 'dan', roles: [] });
    expect(InboxSessionService.csrfMatches(session, session.csrf)).toBe(true);
    expect(InboxSessionService.csrfMatches(session, `${session.csrf}x`)).toBe(false);
    expect(InboxSessionService.csrfMatches(session, undefined)).toBe(false);
  });

  it('refuses a missing, unresolved or short secret with the key to set', () => {
    for (const secret of [null, 'secret://inbox:session', 'short']) {
      const s = service({ secret });
      expect(() => s.keys()).toThrow(InboxError);
      expect(() => s.keys()).toThrow(/auth\.session\.secret/);
    }
  });

  it('seals the sign-in transaction for the callback', async () => {
    const s = service();
    const sealed = await s.sealLogin({ verifier: 'v'.repeat(43), state: 'st', nonce: 'n' });
    await expect(s.openLogin(sealed)).resolves.toEqual({ verifier: 'v'.repeat(43), state: 'st', nonce: 'n' });
    // A session cookie is not a sign-in transaction (different derived keys).
    const { cookie } = await s.issue({ name: 'x', roles: [] });
    await expect(s.openLogin(cookie)).resolves.toBeNull();
  });
});
