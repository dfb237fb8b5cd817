import { ConfigStore, loadConfig } from '@mira/config';
import { freePort, runNode } from './support/child';
import { request, startTestApp, type TestApp } from './support/test-app';

const msg = { type: 'generate_plan', data: { name: 'P' } };

describe('API keys on /api/*', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ overrides: { api: { keys: ['key-one', 'key-two'], protect_metrics: true } } });
  });
  afterAll(() => t.close());

  it('401 without a key or with a wrong one, with WWW-Authenticate and no key echoed', async () => {
    for (const headers of [
      {} as Record<string, string>,
      { authorization: 'Bearer nope' },
      { 'x-api-key': 'key-one-x' },
      { authorization: 'Basic key-one' },
    ]) {
      const res = await request(`${t.url}/api/v1/messages`, { body: msg, headers });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer realm="mira"');
      expect(res.text).not.toContain('key-one');
    }
  });

  it('accepts every configured key, as Bearer or X-API-Key', async () => {
    for (const headers of [
      { authorization: 'Bearer key-one' } as Record<string, string>,
      { 'x-api-key': 'key-two' },
      { authorization: 'bearer key-two' },
    ]) {
      const res = await request(`${t.url}/api/v1/messages`, { body: msg, headers });
      expect(res.status).toBe(200);
    }
    expect((await request(`${t.url}/api/v1/agents`, { headers: { 'x-api-key': 'key-one' } })).status).toBe(
      200,
    );
  });

  it('keeps health open, protects /metrics when api.protect_metrics is on, leaves webhooks to signatures', async () => {
    expect((await request(`${t.url}/healthz`)).status).toBe(200);
    expect((await request(`${t.url}/healthz/live`)).status).toBeLessThan(500);
    expect((await request(`${t.url}/metrics`)).status).toBe(401);
    expect((await request(`${t.url}/metrics`, { headers: { 'x-api-key': 'key-one' } })).status).toBe(200);
    expect((await request(`${t.url}/webhooks/github`, { body: {} })).status).toBe(401);
    expect((await request(`${t.url}/docs/json`)).status).toBe(200);
  });

  it('cannot be bypassed with an encoded path', async () => {
    const res = await request(`${t.url}/%61pi/v1/agents`);
    expect([401, 404]).toContain(res.status);
  });

  it('follows config reloads: a new key works at once, a removed key stops (no grace by default)', async () => {
    const store = t.app.get(ConfigStore);
    store.replace(
      loadConfig({
        file: null,
        env: {},
        overrides: { logging: { level: 'silent' }, api: { keys: ['key-three'], protect_metrics: true } },
      }),
    );
    expect((await request(`${t.url}/api/v1/agents`, { headers: { 'x-api-key': 'key-three' } })).status).toBe(
      200,
    );
    expect((await request(`${t.url}/api/v1/agents`, { headers: { 'x-api-key': 'key-one' } })).status).toBe(
      401,
    );
  });
});

// Production also requires the audit chain's key (governance.audit.key).
const AUDIT_KEY = { MIRA_GOVERNANCE__AUDIT__KEY: 'edge-test-audit-key-0123456789abcdef' };

describe('API keys: open, disabled and production modes', () => {
  it('is open without keys outside production', async () => {
    const t = await startTestApp();
    try {
      expect((await request(`${t.url}/api/v1/agents`)).status).toBe(200);
      expect((await request(`${t.url}/metrics`)).status).toBe(200);
    } finally {
      await t.close();
    }
  });

  it('refuses to start in production without keys, with a message naming the fix', async () => {
    await expect(startTestApp({ env: { NODE_ENV: 'production' } })).rejects.toThrow(
      /api\.keys is empty while NODE_ENV=production.*api\.auth: disabled/,
    );
  });

  it('starts in production with api.auth: disabled (open on purpose) or with keys (enforced)', async () => {
    const open = await startTestApp({
      env: { NODE_ENV: 'production', MIRA_API__AUTH: 'disabled', ...AUDIT_KEY },
    });
    try {
      expect((await request(`${open.url}/api/v1/agents`)).status).toBe(200);
    } finally {
      await open.close();
    }
    const keyed = await startTestApp({
      env: { NODE_ENV: 'production', MIRA_API__KEYS: 'p1,p2', ...AUDIT_KEY },
    });
    try {
      expect((await request(`${keyed.url}/api/v1/agents`)).status).toBe(401);
      expect(
        (await request(`${keyed.url}/api/v1/agents`, { headers: { authorization: 'Bearer p2' } })).status,
      ).toBe(200);
    } finally {
      await keyed.close();
    }
  });
});

describe('the built service in production without keys (npm start path)', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { ensureBuilt } = require('../../../scripts/build-if-needed.js') as {
    ensureBuilt: (o?: { quiet?: boolean }) => string;
  };
  let entry: string;
  beforeAll(() => {
    entry = ensureBuilt({ quiet: true });
  }, 180_000);

  it('exits non-zero with one clear line naming api.keys and api.auth', async () => {
    const port = await freePort();
    const child = runNode([entry], { NODE_ENV: 'production', PORT: String(port) });
    const { code } = await child.exited;
    expect(code).not.toBe(0);
    expect(child.stderr()).toMatch(
      /mira: fatal: SECURITY_NO_API_KEYS: api\.keys is empty while NODE_ENV=production.*api\.auth: disabled/,
    );
  }, 60_000);
});
