import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigStore, type ConfigChangeEvent } from '@mira/config';
import { SecretNotFoundError, SecretsService } from '@mira/secrets';
import { recordSecretValues } from './support/log-capture';
import { LIVE, until } from './support/poll';
import { request, startTestApp, type TestApp } from './support/test-app';
import { VaultTestServer } from './support/vault-test-server';

// Default: the Vault test server (node:http) through the real node-vault. `npm run test:live` with
// VAULT_ADDR + VAULT_TOKEN runs the contract part against a real Vault (KV v2 at `secret/`).
const liveConfigured = Boolean(process.env.VAULT_ADDR && process.env.VAULT_TOKEN);
if (LIVE && !liveConfigured)
  process.stderr.write('test:live: VAULT_ADDR / VAULT_TOKEN not set: the live Vault suite is skipped\n');

interface Target {
  url: string;
  token: string;
  put(name: string, data: Record<string, string>): Promise<void>;
  stop(): Promise<void>;
}

async function testServerTarget(): Promise<Target & { server: VaultTestServer }> {
  const server = await VaultTestServer.start();
  server.mount('secret', 2).mount('kv1', 1);
  const token = server.issueToken({ ttl: 3600, renewable: true });
  return {
    server,
    url: server.url,
    token,
    put: async (name, data) => server.setSecret('secret', name, data),
    stop: () => server.stop(),
  };
}

async function liveTarget(): Promise<Target> {
  const vault = ((await import('node-vault')) as any).default({
    endpoint: process.env.VAULT_ADDR,
    token: process.env.VAULT_TOKEN,
  });
  return {
    url: process.env.VAULT_ADDR!,
    token: process.env.VAULT_TOKEN!,
    put: async (name, data) => void (await vault.write(`secret/data/${name}`, { data })),
    stop: async () => undefined,
  };
}

function vaultApp(
  target: { url: string; token?: string },
  vault: Record<string, unknown> = {},
  secrets: Record<string, unknown> = {},
  overrides: Record<string, unknown> = {},
) {
  return startTestApp({
    overrides: {
      secrets: {
        backend: 'vault',
        retry: { delay: 0.01, max_retries: 3 },
        circuit_breaker: { volume_threshold: 3, reset_timeout: 0.5, timeout: 5 },
        vault: { url: target.url, token: target.token, ...vault },
        ...secrets,
      },
      ...overrides,
    },
  });
}

(LIVE && !liveConfigured ? describe.skip : describe)(
  'Vault backend: contract (test server, or a real Vault under test:live)',
  () => {
    let target: Target;
    let app: TestApp;
    const name = `mira-e2e-${randomUUID().slice(0, 8)}`;
    const first = `v1-${randomUUID()}`;
    const second = `v2-${randomUUID()}`;

    beforeAll(async () => {
      target = LIVE ? await liveTarget() : await testServerTarget();
      recordSecretValues(first, second, target.token);
      await target.put(name, { password: first });
      app = await vaultApp(target, {}, {}, { webhooks: { github: { secret: `secret://${name}:password` } } });
    });
    afterAll(async () => {
      await app?.close();
      await target?.stop();
    });

    it('resolves a secret:// config reference at start and reads KV v2 fields', async () => {
      expect(app.app.get(ConfigStore).get('webhooks').github.secret).toBe(first);
      await expect(app.app.get(SecretsService).get(name, 'password')).resolves.toBe(first);
      await expect(app.app.get(SecretsService).get(name, 'missing')).rejects.toBeInstanceOf(
        SecretNotFoundError,
      );
      await expect(app.app.get(SecretsService).get(`${name}-absent`, 'x')).rejects.toBeInstanceOf(
        SecretNotFoundError,
      );
    });

    it('rotation: a changed value fires onRotate and a config change for the referencing key', async () => {
      const svc = app.app.get(SecretsService);
      const rotated: string[] = [];
      const changes: ConfigChangeEvent[] = [];
      svc.onRotate((n, k) => void rotated.push(`${n}:${k}`));
      app.app.get(ConfigStore).onChange((e) => void changes.push(e), 'webhooks');
      await target.put(name, { password: second });
      await svc.refreshAll();
      await until(
        () => rotated.includes(`${name}:password`) && changes.length > 0,
        'rotation + config change',
      );
      expect(changes[0].changes.map((c) => c.path)).toEqual(['webhooks.github.secret']);
      expect(app.app.get(ConfigStore).get('webhooks').github.secret).toBe(second);
    });

    it('/healthz reports the secrets check without values', async () => {
      const res = await request(`${app.url}/healthz`);
      expect(res.body.checks.secrets).toMatchObject({
        status: 'healthy',
        backend: 'vault',
        circuit: 'closed',
      });
      expect(res.text).not.toContain(first);
      expect(res.text).not.toContain(second);
      expect(res.text).not.toContain(target.token);
    });
  },
);

(LIVE ? describe.skip : describe)('Vault backend against the test server: auth, retries, outages', () => {
  let t: Awaited<ReturnType<typeof testServerTarget>>;
  const apps: TestApp[] = [];
  const start = async (...args: Parameters<typeof vaultApp>) => {
    const a = await vaultApp(...args);
    apps.push(a);
    return a;
  };

  beforeEach(async () => {
    t = await testServerTarget();
    recordSecretValues(t.token);
  });
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((a) => a.close()));
    await t.stop();
  });

  it('KV v1 and the namespace header', async () => {
    t.server.namespace = 'team-a';
    t.server.setSecret('kv1', 'legacy', { token: 'legacy-value-1' });
    recordSecretValues('legacy-value-1');
    const app = await start(t, { kv_version: 1, mount_point: 'kv1', namespace: 'team-a' });
    await expect(app.app.get(SecretsService).get('legacy', 'token')).resolves.toBe('legacy-value-1');
    expect(t.server.requests.every((r) => r.namespace === 'team-a')).toBe(true);
    expect(t.server.count(/^\/v1\/kv1\/legacy$/)).toBe(1);
  });

  it('retries 503 and 429 with backoff, never 403 or 404', async () => {
    t.server.setSecret('secret', 'db', { password: 'db-value-123' });
    t.server.denied.add('forbidden');
    recordSecretValues('db-value-123');
    // A lenient breaker here: this test is about retries, not about the circuit opening.
    const app = await start(t, {}, { circuit_breaker: { volume_threshold: 50 } });
    const svc = app.app.get(SecretsService);
    t.server.fail(/secret\/data\/db$/, 503, 1);
    t.server.fail(/secret\/data\/db$/, 429, 1);
    await expect(svc.get('db', 'password')).resolves.toBe('db-value-123');
    expect(t.server.count(/secret\/data\/db$/)).toBe(3);

    await expect(svc.get('forbidden', 'x')).rejects.toMatchObject({ code: 'SECRET_ACCESS_DENIED' });
    expect(t.server.count(/secret\/data\/forbidden$/)).toBe(1);
    await expect(svc.get('absent', 'x')).rejects.toBeInstanceOf(SecretNotFoundError);
    expect(t.server.count(/secret\/data\/absent$/)).toBe(1);
  });

  it('renews a renewable token at about 2/3 of its TTL (renew-self), keeping it valid', async () => {
    const token = t.server.issueToken({ ttl: 4, renewable: true });
    recordSecretValues(token);
    const app = await start({ url: t.url, token });
    const lookup = t.server.requests.find((r) => r.path === '/v1/auth/token/lookup-self')!;
    const renew = await until(
      () => t.server.requests.find((r) => r.path === '/v1/auth/token/renew-self'),
      'renew-self',
    );
    // lookup-self reports whole seconds (3 of the 4 s left); timers never fire early, so renewal comes
    // no sooner than 2/3 of that.
    expect(renew.at - lookup.at).toBeGreaterThanOrEqual(1950);
    expect(renew.token).toBe(token);
    const health = (await request(`${app.url}/healthz`)).body.checks.secrets;
    expect(health.auth).toMatchObject({ method: 'token', renewable: true });
    expect(health.auth.renewals).toBeGreaterThanOrEqual(1);
  });

  it('AppRole: logs in again when a non-renewable token nears expiry, and after a 403 from a revoked token', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mira-approle-'));
    writeFileSync(join(dir, 'secret_id'), 'approle-secret-id-1\n');
    t.server.approle = {
      roleId: 'role-1',
      secretId: 'approle-secret-id-1',
      token: { ttl: 2, renewable: false },
    };
    t.server.setSecret('secret', 'svc', { key: 'svc-value-42' });
    recordSecretValues('approle-secret-id-1', 'svc-value-42');
    const app = await start(
      { url: t.url },
      { auth_method: 'approle', role_id: 'role-1', secret_id_file: join(dir, 'secret_id') },
      { cache_ttl: 0 },
    );
    const svc = app.app.get(SecretsService);
    await expect(svc.get('svc', 'key')).resolves.toBe('svc-value-42');
    await until(() => t.server.count(/auth\/approle\/login/) >= 2, 're-login before expiry');

    // Revoke whatever token is current: the next read gets 403, lookup-self confirms, it logs in again.
    const logins = t.server.count(/auth\/approle\/login/);
    for (const tok of [...t.server.tokens.keys()]) t.server.revoke(tok);
    await expect(svc.get('svc', 'key')).resolves.toBe('svc-value-42');
    expect(t.server.count(/auth\/approle\/login/)).toBeGreaterThan(logins);
  });

  it('Kubernetes auth re-reads the service-account JWT at every login', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mira-k8s-jwt-'));
    const jwtFile = join(dir, 'token');
    writeFileSync(jwtFile, 'jwt-one-aaaa');
    t.server.kubernetes = {
      role: 'mira',
      jwts: new Set(['jwt-one-aaaa', 'jwt-two-bbbb']),
      token: { ttl: 2, renewable: false },
    };
    recordSecretValues('jwt-one-aaaa', 'jwt-two-bbbb');
    await start(
      { url: t.url },
      { auth_method: 'kubernetes', kubernetes_role: 'mira', kubernetes_jwt_file: jwtFile },
    );
    writeFileSync(jwtFile, 'jwt-two-bbbb');
    const second = await until(
      () =>
        t.server.requests.find(
          (r) => r.path === '/v1/auth/kubernetes/login' && r.body?.jwt === 'jwt-two-bbbb',
        ),
      'login with the rotated JWT',
    );
    expect(second.body.role).toBe('mira');
    expect(t.server.requests.find((r) => r.path === '/v1/auth/kubernetes/login')!.body.jwt).toBe(
      'jwt-one-aaaa',
    );
  });

  it('outage: serves last good values, health degraded with the stale age, circuit open on /healthz and /metrics, recovers', async () => {
    t.server.setSecret('secret', 'db', { password: 'outage-value-1' });
    recordSecretValues('outage-value-1');
    const app = await start(t, {}, { cache_ttl: 0.05, retry: { delay: 0.01, max_retries: 1 } });
    const svc = app.app.get(SecretsService);
    await expect(svc.get('db', 'password')).resolves.toBe('outage-value-1');
    t.server.setDown(true);
    for (let i = 0; i < 10; i++) await expect(svc.get('db', 'password')).resolves.toBe('outage-value-1');
    const health = await until(async () => {
      // Reads keep coming during the outage (and keep succeeding from the cache).
      expect(await svc.get('db', 'password')).toBe('outage-value-1');
      const h = (await request(`${app.url}/healthz`)).body.checks.secrets;
      return h.circuit === 'open' ? h : null;
    }, 'circuit open on /healthz');
    expect(health.status).toBe('degraded');
    expect(health.stale).toBe(1);
    expect(typeof health.oldest_stale_age_seconds).toBe('number');
    const metrics = (await request(`${app.url}/metrics`)).text;
    expect(metrics).toMatch(/mira_secrets_circuit_state\{backend="vault"\} 2/);
    expect(metrics).toMatch(/mira_secrets_refresh_total\{backend="vault",result="failed"\} [1-9]/);
    expect(metrics).not.toContain('outage-value-1');

    t.server.setDown(false);
    await until(async () => {
      await svc.get('db', 'password');
      const h = (await request(`${app.url}/healthz`)).body.checks.secrets;
      return h.status === 'healthy' && h.circuit === 'closed';
    }, 'recovery after the outage');
  });
});
