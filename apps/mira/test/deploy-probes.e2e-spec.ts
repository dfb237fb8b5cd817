// The rendered dev Deployment run against the real app: its mounted config file, its env and the
// image's ENV, its example Secret laid out the way the kubelet mounts it for the file backend;
// then every probe path in the manifest is requested from the running service.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  K8S_DIR,
  type K8sObject,
  lastOf,
  miraContainer,
  mountedConfigFile,
  ofKind,
  parseDockerfile,
  readRepoFile,
  renderKustomize,
  single,
  stageEnv,
} from './support/deploy-manifests';
import { request, startTestApp, type TestApp } from './support/test-app';

const PROBES = ['startupProbe', 'readinessProbe', 'livenessProbe'] as const;

describe('dev overlay, booted as the pod would run it', () => {
  let objects: K8sObject[];
  let container: Record<string, any>;
  let app: TestApp;
  let dir: string;
  let exampleKey: string;

  beforeAll(async () => {
    objects = renderKustomize(join(K8S_DIR, 'overlays/dev'));
    container = miraContainer(single(objects, 'Deployment', 'mira'));
    dir = mkdtempSync(join(tmpdir(), 'mira-deploy-probes-'));
    const mounted = mountedConfigFile(objects);
    const file = join(dir, 'config', 'mira.yaml');
    mkdirSync(join(dir, 'config'));
    writeFileSync(file, mounted.text);
    // Each Secret volume as the kubelet writes it: <mountPath>/<key>, re-rooted under the temp dir.
    const pod = single(objects, 'Deployment', 'mira').spec.template.spec;
    for (const volume of pod.volumes.filter((v: any) => v.secret)) {
      const secret = single(objects, 'Secret', volume.secret.secretName);
      const mount = container.volumeMounts.find((m: any) => m.name === volume.name);
      const target = join(dir, 'secrets', mount.mountPath.split('/').at(-1));
      mkdirSync(target, { recursive: true });
      for (const [key, value] of Object.entries<string>(secret.stringData ?? {}))
        writeFileSync(join(target, key), value);
    }
    exampleKey = single(objects, 'Secret', 'mira-api-keys').stringData.primary;
    const env: Record<string, string> = {
      ...stageEnv(parseDockerfile(readRepoFile('Dockerfile')).stages.at(-1)!),
    };
    for (const e of container.env ?? []) env[e.name] = String(e.value);
    app = await startTestApp({
      file,
      env: { ...env, MIRA_CONFIG_FILE: file, MIRA_SECRETS__FILE__ROOT: join(dir, 'secrets') },
      // The suite's defaults (silent logs, no drain delay) stay; everything else is the manifest's.
    });
  });

  afterAll(async () => {
    await app?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it.each(PROBES)('%s path answers 200 once the app is up', async (probe) => {
    const path = container[probe].httpGet.path;
    const res = await request(`${app.url}${path}`);
    expect({ path, status: res.status }).toEqual({ path, status: 200 });
    expect(res.headers.get('cache-control')).toBe('no-store');
  });

  it('no probe path is an unknown route and none needs an API key (the kubelet sends none)', async () => {
    for (const probe of PROBES) {
      const res = await request(`${app.url}${container[probe].httpGet.path}`, { headers: {} });
      expect(res.status).not.toBe(401);
      expect(res.status).not.toBe(404);
    }
  });

  it('the example Secret, mounted for the file backend, is the API key the service enforces', async () => {
    // The API keys and the audit key (governance.audit.key): one example Secret each.
    expect(ofKind(objects, 'Secret').map((o) => o.metadata.name)).toEqual(
      expect.arrayContaining(['mira-api-keys', 'mira-audit']),
    );
    expect((await request(`${app.url}/api/v1/agents`)).status).toBe(401);
    const ok = await request(`${app.url}/api/v1/agents`, { headers: { 'x-api-key': exampleKey } });
    expect(ok.status).toBe(200);
  });

  it('the image HEALTHCHECK probes the liveness path the manifest uses', () => {
    const healthcheck = lastOf(parseDockerfile(readRepoFile('Dockerfile')).stages.at(-1)!, 'HEALTHCHECK')!;
    expect(healthcheck.args).toContain(container.livenessProbe.httpGet.path);
  });
});
