import { randomUUID } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { ConfigStore } from '@mira/config';
import { SecretNotFoundError, SecretsService } from '@mira/secrets';
import { K8sTestServer } from './support/k8s-test-server';
import { recordSecretValues } from './support/log-capture';
import { LIVE, until } from './support/poll';
import { request, startTestApp, type TestApp } from './support/test-app';

/** The app on the kubernetes backend in-cluster (emulated: env and service-account dir of `k8s`), watching. */
function startOnKubernetes(k8s: K8sTestServer): Promise<TestApp> {
  return startTestApp({
    env: { KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: String(k8s.port) },
    overrides: {
      secrets: {
        backend: 'kubernetes',
        retry: { delay: 0.01 },
        kubernetes: { service_account_dir: k8s.serviceAccountDir, watch: true },
      },
      webhooks: { deploy: { secret: 'secret://mira-api:key' } },
    },
  });
}

describe('Kubernetes backend against a TLS test API server (real @kubernetes/client-node, in-cluster emulated)', () => {
  if (LIVE) return; // the live variant below runs instead
  let k8s: K8sTestServer;
  let app: TestApp;
  const apiKey = `api-key-${randomUUID()}`;

  beforeAll(async () => {
    k8s = await K8sTestServer.start('mira-ns');
    k8s.setSecret('mira-ns', 'mira-api', { key: apiKey, other: 'other-value-1' });
    recordSecretValues(apiKey, 'other-value-1', k8s.token);
    app = await startOnKubernetes(k8s);
  });
  afterAll(async () => {
    await app?.close();
    await k8s?.stop();
  });

  it('reads and base64-decodes Secret data with the service-account token over TLS (CA file)', async () => {
    expect(app.app.get(ConfigStore).get('webhooks').deploy.secret).toBe(apiKey);
    await expect(app.app.get(SecretsService).get('mira-api', 'other')).resolves.toBe('other-value-1');
    expect(k8s.requests.some((r) => r.path === '/api/v1/namespaces/mira-ns/secrets/mira-api')).toBe(true);
    expect(k8s.requests.every((r) => r.auth === `Bearer ${k8s.token}`)).toBe(true);
  });

  it('404 -> SecretNotFoundError, 403 -> access denied, both without retries', async () => {
    const svc = app.app.get(SecretsService);
    await expect(svc.get('absent', 'x')).rejects.toBeInstanceOf(SecretNotFoundError);
    await expect(svc.get('mira-api', 'nokey')).rejects.toBeInstanceOf(SecretNotFoundError);
    k8s.denied.add('locked');
    await expect(svc.get('locked', 'x')).rejects.toMatchObject({ code: 'SECRET_ACCESS_DENIED' });
    expect(k8s.requests.filter((r) => r.path.endsWith('/secrets/locked')).length).toBe(1);
    expect(k8s.requests.filter((r) => r.path.endsWith('/secrets/absent')).length).toBe(1);
  });

  it('watch: an updated Secret rotates the cached value and the config key', async () => {
    await until(() => k8s.watchCount() > 0, 'the watch to connect');
    // Named watches only (fieldSelector), so a Role restricted by resourceNames allows them.
    const watches = k8s.requests.filter((r) => r.watch);
    expect(watches.length).toBeGreaterThan(0);
    expect(watches.every((r) => r.fieldSelector?.startsWith('metadata.name='))).toBe(true);
    expect(watches.map((r) => r.fieldSelector)).toContain('metadata.name=mira-api');
    const rotated = `api-key-${randomUUID()}`;
    recordSecretValues(rotated);
    const seen: string[] = [];
    app.app.get(SecretsService).onRotate((n, k) => void seen.push(`${n}:${k}`));
    k8s.setSecret('mira-ns', 'mira-api', { key: rotated, other: 'other-value-1' });
    await until(
      () => app.app.get(ConfigStore).get('webhooks').deploy.secret === rotated,
      'config re-resolved',
    );
    expect(seen).toContain('mira-api:key');
    const health = (await request(`${app.url}/healthz`)).body.checks.secrets;
    expect(health.watching).toContain('mira-api');
    expect(health).toMatchObject({
      status: 'healthy',
      mode: 'in-cluster',
      namespace: 'mira-ns',
      circuit: 'closed',
    });
  });
});

describe('Kubernetes backend under a Role restricted to named Secrets (resourceNames)', () => {
  if (LIVE) return;
  let k8s: K8sTestServer;
  let app: TestApp;
  const apiKey = `api-key-${randomUUID()}`;

  beforeAll(async () => {
    k8s = await K8sTestServer.start('mira-ns');
    k8s.allowedNames = new Set(['mira-api']);
    k8s.setSecret('mira-ns', 'mira-api', { key: apiKey });
    recordSecretValues(apiKey, k8s.token);
    app = await startOnKubernetes(k8s);
  });
  afterAll(async () => {
    await app?.close();
    await k8s?.stop();
  });

  it('watches only the Secrets it read, by name, and rotation still flows; no forbidden watch', async () => {
    await until(() => k8s.watchCount() > 0, 'the named watch to connect');
    const rotated = `api-key-${randomUUID()}`;
    recordSecretValues(rotated);
    k8s.setSecret('mira-ns', 'mira-api', { key: rotated });
    await until(
      () => app.app.get(ConfigStore).get('webhooks').deploy.secret === rotated,
      'config re-resolved',
    );
    const health = (await request(`${app.url}/healthz`)).body.checks.secrets;
    expect(health).toMatchObject({ status: 'healthy', watching: ['mira-api'] });
    expect(
      k8s.requests.filter((r) => r.watch).every((r) => r.fieldSelector === 'metadata.name=mira-api'),
    ).toBe(true);
  });
});

// `npm run test:live`: a real cluster through the current kubeconfig (namespace `default` unless
// MIRA_TEST_K8S_NAMESPACE); the Secret is created and deleted with kubectl.
const kubeconfigured = (() => {
  if (!LIVE) return false;
  try {
    execFileSync('kubectl', ['version', '--request-timeout=5s'], { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
})();
if (LIVE && !kubeconfigured)
  process.stderr.write(
    'test:live: no reachable cluster via kubeconfig: the live Kubernetes suite is skipped\n',
  );

if (LIVE)
  (kubeconfigured ? describe : describe.skip)('Kubernetes backend against a real cluster (test:live)', () => {
    const ns = process.env.MIRA_TEST_K8S_NAMESPACE ?? 'default';
    const name = `mira-e2e-${randomUUID().slice(0, 8)}`;
    const value = `live-${randomUUID()}`;
    let app: TestApp;
    beforeAll(async () => {
      recordSecretValues(value);
      execFileSync(
        'kubectl',
        ['-n', ns, 'create', 'secret', 'generic', name, `--from-literal=key=${value}`],
        { stdio: 'pipe' },
      );
      app = await startTestApp({
        overrides: { secrets: { backend: 'kubernetes', kubernetes: { namespace: ns } } },
      });
    });
    afterAll(async () => {
      await app?.close();
      execFileSync('kubectl', ['-n', ns, 'delete', 'secret', name, '--ignore-not-found'], { stdio: 'pipe' });
    });
    it('reads a Secret', async () => {
      await expect(app.app.get(SecretsService).get(name, 'key')).resolves.toBe(value);
    });
  });
