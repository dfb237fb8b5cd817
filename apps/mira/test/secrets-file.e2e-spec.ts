import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigStore, type ConfigChangeEvent } from '@mira/config';
import { SecretNotFoundError, SecretsService } from '@mira/secrets';
import { runNode } from './support/child';
import { recordSecretValues } from './support/log-capture';
import { until } from './support/poll';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- plain JS build helper
const { ensureBuilt } = require('../../../scripts/build-if-needed.js') as {
  ensureBuilt(o?: { quiet?: boolean }): string;
};
import { startTestApp, type TestApp } from './support/test-app';
import { kubeletWrite } from './support/kubelet-volume';

describe('file backend (Kubernetes secret volumes, Docker secrets)', () => {
  let root: string;
  let app: TestApp;
  const v1 = `pw-${randomUUID()}`;
  const v2 = `pw-${randomUUID()}`;
  const v3 = `pw-${randomUUID()}`;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'mira-file-secrets-'));
    recordSecretValues(v1, v2, v3, 'docker-secret-1', 'plain-value-1', 'plain-value-2');
    kubeletWrite(join(root, 'db'), { password: `${v1}\n` }, { keepOld: true });
    writeFileSync(join(root, 'docker_token'), 'docker-secret-1\n');
    mkdirSync(join(root, 'plain'));
    writeFileSync(join(root, 'plain', 'key'), 'plain-value-1');
    app = await startTestApp({
      overrides: {
        secrets: { backend: 'file', file: { root } },
        webhooks: {
          github: { secret: 'secret://db:password' },
          ci: { secret: 'secret://nope:key?default=fallback-1' },
        },
      },
    });
  });
  afterAll(async () => {
    await app?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('reads <root>/<name>/<key> and <root>/<name>, resolves config references and defaults', async () => {
    const svc = app.app.get(SecretsService);
    const webhooks = app.app.get(ConfigStore).get('webhooks');
    expect(webhooks.github.secret).toBe(v1);
    expect(webhooks.ci.secret).toBe('fallback-1');
    await expect(svc.get('docker_token')).resolves.toBe('docker-secret-1');
    await expect(svc.get('db', 'missing')).rejects.toBeInstanceOf(SecretNotFoundError);
    await expect(svc.get('../etc', 'passwd')).rejects.toMatchObject({ code: 'SECRET_NAME_INVALID' });
  });

  it('picks up a kubelet ..data symlink swap: rotation and a config change event', async () => {
    const changes: ConfigChangeEvent[] = [];
    app.app.get(ConfigStore).onChange((e) => void changes.push(e), 'webhooks');
    const rotated: string[] = [];
    app.app.get(SecretsService).onRotate((n, k) => void rotated.push(`${n}:${k}`));
    kubeletWrite(join(root, 'db'), { password: v2 }, { keepOld: true });
    await until(() => app.app.get(ConfigStore).get('webhooks').github.secret === v2, 'the ..data swap', 5000);
    expect(rotated).toContain('db:password');
    expect(changes.flatMap((e) => e.changes.map((c) => c.path))).toContain('webhooks.github.secret');
    kubeletWrite(join(root, 'db'), { password: v3 }, { keepOld: true });
    await until(() => app.app.get(ConfigStore).get('webhooks').github.secret === v3, 'a second swap', 5000);
  });

  it('picks up a rewritten file', async () => {
    const svc = app.app.get(SecretsService);
    await expect(svc.get('plain', 'key')).resolves.toBe('plain-value-1');
    writeFileSync(join(root, 'plain', 'key'), 'plain-value-2');
    await until(async () => (await svc.get('plain', 'key')) === 'plain-value-2', 'the rewrite', 5000);
  });
});

describe('start with an unresolvable secret:// reference (built service)', () => {
  it('exits 1 naming the reference and the key, never a value', async () => {
    const entry = ensureBuilt({ quiet: true });
    const dir = mkdtempSync(join(tmpdir(), 'mira-bad-ref-'));
    const file = join(dir, 'mira.yaml');
    writeFileSync(file, 'webhooks:\n  github:\n    secret: secret://missing-secret:token\n');
    const child = runNode([entry], {
      MIRA_CONFIG_FILE: file,
      MIRA_SECRETS_BACKEND: 'env',
      PORT: '0',
      MIRA_LOG_LEVEL: 'silent',
      UNRELATED_SECRET: 'should-never-print',
    });
    const { code } = await child.exited;
    expect(code).toBe(1);
    expect(child.stderr()).toContain('secret://missing-secret:token');
    expect(child.stderr()).toContain('webhooks.github.secret');
    expect(child.stderr() + child.stdout()).not.toContain('should-never-print');
  }, 120000);
});
