import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { ConfigReloadService } from '@mira/config';
import { STATE_STORE, type StateStore } from '@mira/state';
import { InboxSessionService } from '../src/inbox/inbox-session.service';
import { freePort } from './support/child';
import {
  startOidcProvider,
  TEST_CLIENT_ID,
  TEST_CLIENT_SECRET,
  TEST_ROLES_MAP,
  type TestOidcProvider,
} from './support/oidc-provider';
import { until } from './support/poll';
import { openSse, type SseStream } from './support/sse-client';
import { request, startTestApp, type TestApp } from './support/test-app';

const OPS = { name: 'ops', key: 'ops-stream-key-0123456789abcdef', roles: ['admin'] };
const TEMP = { name: 'temp', key: 'temp-stream-key-0123456789abcdef', roles: ['approver'] };
const SESSION_COOKIE = '__Host-mira_session';

// A live stream lives no longer than the credential it was opened with: an API key removed by a
// config reload, an inbox session signed out here, or revoked elsewhere (seen at the next heartbeat).
describe('GET /api/v1/workflows/stream closes when its credential ends', () => {
  let idp: TestOidcProvider;
  let app: TestApp;
  let file: string;
  const open: SseStream[] = [];
  const config = (keys: object[]) => ({ api: { keys, stream: { heartbeat_seconds: 1 } } });

  beforeAll(async () => {
    const [idpPort, appPort] = [await freePort(), await freePort()];
    file = join(mkdtempSync(join(tmpdir(), 'mira-stream-revoke-')), 'mira.yaml');
    writeFileSync(file, stringify(config([OPS, TEMP])));
    idp = await startOidcProvider({
      port: idpPort,
      redirectUri: () => `http://127.0.0.1:${appPort}/inbox/callback`,
    });
    app = await startTestApp({
      port: appPort,
      file,
      overrides: {
        config: { hot_reload: false },
        auth: {
          oidc: {
            issuer: idp.issuer,
            client_id: TEST_CLIENT_ID,
            client_secret: TEST_CLIENT_SECRET,
            redirect_uri: `http://127.0.0.1:${appPort}/inbox/callback`,
            roles_claim: 'groups',
            roles_map: TEST_ROLES_MAP,
          },
          // No provider round trip during the test: the session keeps its sign-in roles.
          session: {
            secret: 'stream-session-secret-0123456789abcdef',
            ttl_seconds: 3600,
            refresh_seconds: 3600,
          },
        },
      },
    });
  }, 90000);
  afterEach(() => open.splice(0).forEach((s) => s.close()));
  afterAll(async () => {
    await app?.close();
    await idp?.close();
  });

  const stream = async (headers: Record<string, string>) => {
    const s = await openSse(`${app.url}/api/v1/workflows/stream`, headers);
    open.push(s);
    expect(s.status).toBe(200);
    return s;
  };
  const withKey = (k: { key: string }) => ({ authorization: `Bearer ${k.key}` });
  const session = async () => {
    const issued = await app.app
      .get(InboxSessionService)
      .issue({ name: 'Bob', roles: ['approver'] }, { sub: 'bob', accessToken: 'not-used-while-fresh' });
    return {
      issued,
      headers: { cookie: `${SESSION_COOKIE}=${issued.cookie}`, 'x-csrf-token': issued.session.csrf },
    };
  };

  it('an API key removed by a config reload ends its streams; other callers keep theirs', async () => {
    const temp = await stream(withKey(TEMP));
    const ops = await stream(withKey(OPS));
    writeFileSync(file, stringify(config([OPS])));
    await app.app.get(ConfigReloadService).reload();
    await until(() => temp.ended, 'the removed key’s stream to end', 5000);
    expect(temp.events.map((e) => e.event)).toContain('stream.closed');
    await until(() => ops.comments.some((c) => c.startsWith('heartbeat')), 'a heartbeat', 4000);
    expect(ops.ended).toBe(false);
    expect((await request(`${app.url}/api/v1/workflows/stream`, { headers: withKey(TEMP) })).status).toBe(
      401,
    );
    writeFileSync(file, stringify(config([OPS, TEMP])));
    await app.app.get(ConfigReloadService).reload();
  });

  it('signing out of the inbox ends the streams opened with that session at once', async () => {
    const { headers } = await session();
    const s = await stream(headers);
    const other = await stream((await session()).headers);
    const out = await request(`${app.url}/inbox/logout`, { method: 'POST', headers });
    expect(out.status).toBe(200);
    await until(() => s.ended, 'the signed-out session’s stream to end', 3000);
    expect(s.events.at(-1)?.event).toBe('stream.closed');
    expect(other.ended).toBe(false);
  });

  it('a session revoked on another replica (only in the store) ends its stream at the next heartbeat', async () => {
    const { issued, headers } = await session();
    const s = await stream(headers);
    const now = new Date();
    await app.app
      .get<string, StateStore>(STATE_STORE)
      .revokeSession(
        issued.session.sid,
        new Date(issued.session.exp * 1000).toISOString(),
        now.toISOString(),
      );
    await until(() => s.ended, 'the revoked session’s stream to end', 5000);
    expect(s.events.at(-1)?.event).toBe('stream.closed');
  });
});
