// The Kubernetes manifests, rendered by the real `kubectl kustomize`, checked against the service
// itself: its config schema and loader, the env variables it reads, its port, its shutdown timing
// and the secrets its config references. (The probes are answered by the real app in
// deploy-probes.e2e-spec.ts.)
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type MiraConfig } from '@mira/config';
import {
  K8S_DIR,
  type K8sObject,
  mountedConfigFile,
  miraContainer,
  ofKind,
  parseDockerfile,
  probePort,
  readRepoFile,
  renderKustomize,
  renderWithComponents,
  secretRefs,
  single,
  stageEnv,
  lastOf,
  whyEnvIgnored,
} from './support/deploy-manifests';

const dockerfile = parseDockerfile(readRepoFile('Dockerfile'));
const runtimeStage = dockerfile.stages.at(-1)!;
const imageEnv = stageEnv(runtimeStage);
const imageUser = lastOf(runtimeStage, 'USER')!.args.split(':').map(Number);

interface Rendered {
  objects: K8sObject[];
  deployment: K8sObject;
  container: Record<string, any>;
  /** The config the pod runs with: the mounted file + image ENV + container env, via the app's loader. */
  config: MiraConfig;
  configText: string;
  containerEnv: Record<string, string>;
}

const SHUTDOWN_MARGIN_S = 5;

function load(objects: K8sObject[]): Rendered {
  const deployment = single(objects, 'Deployment', 'mira');
  const container = miraContainer(deployment);
  const mounted = mountedConfigFile(objects);
  const containerEnv: Record<string, string> = {};
  for (const e of container.env ?? []) if (e.value !== undefined) containerEnv[e.name] = String(e.value);
  const dir = mkdtempSync(join(tmpdir(), 'mira-deploy-config-'));
  try {
    const file = join(dir, 'mira.yaml');
    writeFileSync(file, mounted.text);
    // The app's own loader and schema; MIRA_CONFIG_FILE is pointed at the temp copy of the mounted file.
    const { config } = loadConfig({ file, env: { ...imageEnv, ...containerEnv, MIRA_CONFIG_FILE: file } });
    return { objects, deployment, container, config, configText: mounted.text, containerEnv };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const variants: Record<string, () => K8sObject[]> = {
  dev: () => renderKustomize(join(K8S_DIR, 'overlays/dev')),
  prod: () => renderKustomize(join(K8S_DIR, 'overlays/prod')),
  'prod + vault component': () =>
    renderWithComponents(join(K8S_DIR, 'overlays/prod'), [join(K8S_DIR, 'components/vault')]),
};

const rendered: Record<string, Rendered> = {};

describe('kustomize renders every overlay', () => {
  it.each(Object.keys(variants))('%s renders and its config validates with the app schema', (name) => {
    rendered[name] = load(variants[name]());
    expect(rendered[name].objects.length).toBeGreaterThan(5);
  });
});

describe.each(Object.keys(variants))('%s', (name) => {
  const r = () => {
    if (!rendered[name]) rendered[name] = load(variants[name]());
    return rendered[name];
  };
  const podLabels = () => r().deployment.spec.template.metadata.labels as Record<string, string>;
  const selects = (selector: Record<string, string>) =>
    Object.entries(selector).every(([k, v]) => podLabels()[k] === v) && Object.keys(selector).length > 0;

  it('has the expected objects, all in one namespace', () => {
    const { objects, config } = r();
    for (const kind of ['Namespace', 'ServiceAccount', 'ConfigMap', 'Deployment', 'Service']) {
      expect(ofKind(objects, kind)).toHaveLength(1);
    }
    for (const kind of ['PodDisruptionBudget', 'NetworkPolicy'])
      expect(ofKind(objects, kind)).toHaveLength(1);
    const ns = single(objects, 'Namespace').metadata.name;
    for (const o of objects.filter((x) => x.kind !== 'Namespace'))
      expect(`${o.kind}/${o.metadata.namespace}`).toBe(`${o.kind}/${ns}`);
    if (config.secrets.backend === 'vault') {
      expect(ofKind(objects, 'Role')).toHaveLength(0);
      expect(ofKind(objects, 'RoleBinding')).toHaveLength(0);
    }
  });

  it('sets only environment variables the service reads, with valid values', () => {
    const { container } = r();
    const problems = [
      ...(container.env ?? []).map((e: { name: string; value?: string }) =>
        whyEnvIgnored(e.name, e.value === undefined ? undefined : String(e.value)),
      ),
      ...Object.entries(imageEnv).map(([k, v]) => whyEnvIgnored(k, v)),
    ].filter(Boolean);
    expect(problems).toEqual([]);
    expect(container.envFrom ?? []).toEqual([]); // a bulk import could set anything
  });

  it('mounts the ConfigMap as a directory (no subPath), so hot reload sees updates', () => {
    const { container, deployment, config } = r();
    const configVolumes = deployment.spec.template.spec.volumes.filter((v: any) => v.configMap);
    expect(configVolumes).toHaveLength(1);
    const mounts = container.volumeMounts.filter((m: any) => m.name === configVolumes[0].name);
    expect(mounts).toHaveLength(1);
    expect(mounts[0].subPath).toBeUndefined();
    expect(mounts[0].readOnly).toBe(true);
    expect(config.config.hot_reload).toBe(true);
  });

  it("exposes the app's port: containerPort, probes, Service and NetworkPolicy agree with the config", () => {
    const { container, config, objects } = r();
    const http = container.ports.find((p: any) => p.name === 'http');
    expect(http.containerPort).toBe(config.server.port);
    expect(config.server.host).toBe('0.0.0.0'); // reachable from the kubelet and the Service
    const service = single(objects, 'Service', 'mira');
    expect(selects(service.spec.selector)).toBe(true);
    for (const p of service.spec.ports) expect(probePort(container, p.targetPort)).toBe(config.server.port);
    const policy = single(objects, 'NetworkPolicy');
    expect(selects(policy.spec.podSelector.matchLabels)).toBe(true);
    const ingressPorts = policy.spec.ingress.flatMap((rule: any) =>
      rule.ports.map((p: any) => probePort(container, p.port)),
    );
    expect(ingressPorts).toEqual([config.server.port]);
  });

  it('probes the three health endpoints on the app port', () => {
    const { container, config } = r();
    const probes = {
      startupProbe: '/healthz/startup',
      readinessProbe: '/healthz/ready',
      livenessProbe: '/healthz/live',
    } as const;
    for (const [probe, path] of Object.entries(probes)) {
      expect(container[probe]?.httpGet?.path).toBe(path);
      expect(probePort(container, container[probe].httpGet.port)).toBe(config.server.port);
    }
    // Liveness must not kill a pod that is still starting or draining slowly.
    const startupBudget = container.startupProbe.periodSeconds * container.startupProbe.failureThreshold;
    expect(startupBudget).toBeGreaterThanOrEqual(30);
    expect(container.livenessProbe.failureThreshold * container.livenessProbe.periodSeconds).toBeGreaterThan(
      config.health.event_loop_max_lag_ms / 1000,
    );
  });

  it('grace period >= preStop sleep + drain delay + shutdown deadline + margin; preStop >= readiness period', () => {
    const { container, deployment, config } = r();
    const preStop = container.lifecycle.preStop;
    const sleep = preStop.sleep
      ? Number(preStop.sleep.seconds)
      : Number(/^sleep$/.test(preStop.exec.command[0]) ? preStop.exec.command[1] : NaN);
    expect(sleep).toBeGreaterThanOrEqual(container.readinessProbe.periodSeconds);
    const { drain_delay_ms, timeout_ms, hook_timeout_ms } = config.shutdown;
    expect(hook_timeout_ms).toBeLessThanOrEqual(timeout_ms);
    // Unset: the in-cluster default (KUBERNETES_SERVICE_HOST is set in every pod), 5000 ms.
    const needed = sleep + Math.ceil(((drain_delay_ms ?? 5000) + timeout_ms) / 1000) + SHUTDOWN_MARGIN_S;
    expect(deployment.spec.template.spec.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(needed);
    // Rolling updates never take a serving pod away before its replacement is ready.
    expect(deployment.spec.strategy.rollingUpdate.maxUnavailable).toBe(0);
  });

  it('runs hardened: non-root (the image user), read-only root, no capabilities, seccomp, /tmp emptyDir', () => {
    const { container, deployment } = r();
    const pod = deployment.spec.template.spec;
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    expect([pod.securityContext.runAsUser, pod.securityContext.runAsGroup]).toEqual(imageUser);
    expect(imageUser[0]).toBeGreaterThan(0);
    expect(container.securityContext).toMatchObject({
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      runAsNonRoot: true,
      capabilities: { drop: ['ALL'] },
    });
    expect(container.securityContext.capabilities.add ?? []).toEqual([]);
    expect((container.securityContext.seccompProfile ?? pod.securityContext.seccompProfile).type).toBe(
      'RuntimeDefault',
    );
    const tmpMount = container.volumeMounts.find((m: any) => m.mountPath === '/tmp');
    const tmpVolume = pod.volumes.find((v: any) => v.name === tmpMount?.name);
    expect(tmpVolume?.emptyDir).toBeDefined();
    for (const kind of ['requests', 'limits']) expect(container.resources[kind].memory).toBeDefined();
    expect(container.resources.requests.cpu).toBeDefined(); // the HPA's CPU utilisation is relative to it
    expect(pod.topologySpreadConstraints.length).toBeGreaterThan(0);
    for (const t of pod.topologySpreadConstraints) expect(selects(t.labelSelector.matchLabels)).toBe(true);
  });

  it('scales only on a shared broker: memory = one replica and no HPA; redis = HPA on CPU and memory', () => {
    const { objects, config, deployment } = r();
    const hpas = ofKind(objects, 'HorizontalPodAutoscaler');
    if (config.broker.transport === 'memory') {
      expect(deployment.spec.replicas).toBe(1);
      expect(hpas).toHaveLength(0);
    } else {
      expect(hpas).toHaveLength(1);
      const hpa = hpas[0];
      expect(hpa.spec.scaleTargetRef).toMatchObject({ kind: 'Deployment', name: 'mira' });
      expect(hpa.spec.minReplicas).toBeGreaterThanOrEqual(2);
      expect(hpa.spec.metrics.map((m: any) => m.resource.name).sort()).toEqual(['cpu', 'memory']);
    }
    const pdb = single(objects, 'PodDisruptionBudget');
    expect(selects(pdb.spec.selector.matchLabels)).toBe(true);
    // minAvailable >= replicas would block every node drain.
    if (pdb.spec.minAvailable !== undefined)
      expect(pdb.spec.minAvailable).toBeLessThan(deployment.spec.replicas);
  });

  it('lets egress reach exactly the dependencies the config uses (DNS, Redis, Vault, API server)', () => {
    const { objects, config } = r();
    const policy = single(objects, 'NetworkPolicy');
    const egressPorts = new Set<string>(
      policy.spec.egress.flatMap((rule: any) => rule.ports.map((p: any) => `${p.protocol}/${p.port}`)),
    );
    for (const p of ['UDP/53', 'TCP/53']) expect(egressPorts).toContain(p);
    const portOf = (url: string, fallback: number) =>
      url.startsWith('secret://') ? fallback : Number(new URL(url).port || fallback);
    if (config.broker.transport === 'redis')
      expect(egressPorts).toContain(`TCP/${portOf(config.broker.redis.url, 6379)}`);
    if (config.secrets.backend === 'vault')
      expect(egressPorts).toContain(`TCP/${portOf(config.secrets.vault.url!, 8200)}`);
    if (config.secrets.backend === 'kubernetes') {
      expect(['TCP/443', 'TCP/6443'].some((p) => egressPorts.has(p))).toBe(true);
    }
  });

  it('grants get/watch on exactly the Secrets the config references, and nothing else', () => {
    const { objects, config, configText, containerEnv, deployment, container } = r();
    const refs = secretRefs([configText, Object.values(containerEnv)]);
    const referenced = [...new Set(refs.map((x) => x.name))].sort();
    expect(referenced.length).toBeGreaterThan(0);
    const sa = single(objects, 'ServiceAccount');
    expect(deployment.spec.template.spec.serviceAccountName).toBe(sa.metadata.name);
    // No other Role or ClusterRole may touch secrets; no rule may omit resourceNames.
    expect(ofKind(objects, 'ClusterRole')).toHaveLength(0);
    for (const role of ofKind(objects, 'Role')) {
      for (const rule of role.rules) {
        if (!rule.resources.includes('secrets')) continue;
        expect(rule.resourceNames?.length).toBeGreaterThan(0);
        expect([...rule.verbs].sort()).toEqual(['get', 'watch']);
      }
    }
    if (config.secrets.backend === 'vault') {
      // Vault's kubernetes auth logs in with the service-account token: it must be mounted.
      expect(sa.automountServiceAccountToken).not.toBe(false);
      return;
    }
    const role = single(objects, 'Role');
    expect(role.rules).toHaveLength(1);
    expect(role.rules[0]).toMatchObject({ apiGroups: [''], resources: ['secrets'] });
    expect([...role.rules[0].resourceNames].sort()).toEqual(referenced);
    const binding = single(objects, 'RoleBinding');
    expect(binding.roleRef).toMatchObject({ kind: 'Role', name: role.metadata.name });
    expect(binding.subjects).toEqual([
      expect.objectContaining({
        kind: 'ServiceAccount',
        name: sa.metadata.name,
        namespace: sa.metadata.namespace,
      }),
    ]);
    if (config.secrets.backend === 'kubernetes') {
      expect(sa.automountServiceAccountToken).not.toBe(false);
      expect(config.secrets.kubernetes.namespace ?? sa.metadata.namespace).toBe(sa.metadata.namespace);
    }
    if (config.secrets.backend === 'file') {
      // <root>/<name>/<key>: each referenced Secret mounted whole (no subPath: rotations arrive).
      const pod = deployment.spec.template.spec;
      for (const secretName of referenced) {
        const volume = pod.volumes.find((v: any) => v.secret?.secretName === secretName);
        expect(volume).toBeDefined();
        const mount = container.volumeMounts.find((m: any) => m.name === volume.name);
        expect(mount.mountPath).toBe(`${config.secrets.file.root.replace(/\/$/, '')}/${secretName}`);
        expect(mount.subPath).toBeUndefined();
      }
    }
  });

  it('ships no real secret values', () => {
    const { objects } = r();
    for (const secret of ofKind(objects, 'Secret')) {
      const values = [
        ...Object.values(secret.stringData ?? {}),
        ...Object.values(secret.data ?? {}).map((v) => Buffer.from(String(v), 'base64').toString('utf8')),
      ] as string[];
      for (const v of values) expect(v).toMatch(/example|replace-me|changeme/i);
    }
    if (name.startsWith('prod')) {
      // Applying prod must never overwrite the real Secrets created out of band.
      expect(ofKind(objects, 'Secret')).toHaveLength(0);
    }
  });
});

describe('overlays differ only where they should', () => {
  it('dev runs the memory broker, prod the redis broker; both with the same probes', () => {
    const dev = rendered.dev ?? load(variants.dev());
    const prod = rendered.prod ?? load(variants.prod());
    expect(dev.config.broker.transport).toBe('memory');
    expect(prod.config.broker.transport).toBe('redis');
    expect(['vault', 'kubernetes']).toContain(prod.config.secrets.backend);
    for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe']) {
      expect(prod.container[probe]).toEqual(dev.container[probe]);
    }
    const vault = rendered['prod + vault component'] ?? load(variants['prod + vault component']());
    expect(vault.config.secrets.backend).toBe('vault');
    expect(vault.config.secrets.vault.auth_method).toBe('kubernetes');
    expect(vault.config.secrets.vault.kubernetes_role).toBeTruthy();
  });
});
