import { randomUUID } from 'node:crypto';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigStore, type ConfigChangeEvent } from '@mira/config';
import { recordSecretValues } from './support/log-capture';
import { until } from './support/poll';
import { request, startTestApp, type TestApp } from './support/test-app';
import { kubeletWrite } from './support/kubelet-volume';

// An operator's bad day on the config file, with hot reload on, through the real app and real
// files: empty and comment-only writes, a truncated write that still parses, a half-written file,
// a file replaced by a directory, and ConfigMap `..data` swaps that would weaken authentication.
// None of them may open /api, drop a webhook secret or go unreported on /healthz.

const KEY1 = `key-one-${randomUUID()}`;
const KEY2 = `key-two-${randomUUID()}`;
const GH = `gh-secret-${randomUUID()}`;
recordSecretValues(KEY1, KEY2, GH);

const fullYaml = (threshold = 10000, keys = [KEY1], extra = '') =>
  `governance:\n  financial_threshold: ${threshold}\n` +
  `api:\n  keys:\n${keys.map((k) => `    - ${k}\n`).join('')}` +
  `webhooks:\n  github:\n    secret: ${GH}\n${extra}`;

describe('config hot reload under faulty writes (real app, real files)', () => {
  let dir: string;
  let file: string;
  let t: TestApp;
  let applied: ConfigChangeEvent[];

  const boot = async (kubelet: boolean) => {
    dir = mkdtempSync(join(tmpdir(), 'mira-reload-faults-'));
    file = join(dir, 'mira.yaml');
    if (kubelet) kubeletWrite(dir, { 'mira.yaml': fullYaml() });
    else writeFileSync(file, fullYaml());
    t = await startTestApp({
      file,
      overrides: { config: { hot_reload: true, debounce_ms: 20, stable_ms: 400, poll_interval: 1 } },
    });
    applied = [];
    t.app.get(ConfigStore).onChange((e) => void applied.push(e));
  };
  afterEach(async () => {
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const api = (key?: string) =>
    request(`${t.url}/api/v1/agents`, { headers: key ? { 'x-api-key': key } : {} });
  const configuration = async () => (await request(`${t.url}/healthz`)).body.checks.configuration;
  const degraded = () =>
    until(async () => {
      const c = await configuration();
      return c.status === 'degraded' ? c : null;
    }, 'the configuration check to turn degraded');
  /** Auth still enforced with the running key; the running governance threshold still in force. */
  const expectRunningConfigKept = async () => {
    expect((await api()).status).toBe(401);
    expect((await api(KEY1)).status).toBe(200);
    const store = t.app.get(ConfigStore);
    expect(store.get('api').keys).toEqual([KEY1]);
    expect(store.get('webhooks').github?.secret).toBe(GH);
    expect(store.get('governance').financial_threshold).toBe(10000);
  };
  /** No health detail may carry a secret value. */
  const expectNoValuesIn = (text: string) => {
    for (const v of [KEY1, KEY2, GH]) expect(text).not.toContain(v);
  };

  it('an empty file is never applied: auth stays on, configuration degraded', async () => {
    await boot(false);
    writeFileSync(file, '');
    const c = await degraded();
    expect(c.reason).toMatch(/empty/i);
    await expectRunningConfigKept();
    expect(applied).toHaveLength(0);
    expectNoValuesIn(JSON.stringify(c));
  });

  it('a comment-only file is never applied', async () => {
    await boot(false);
    writeFileSync(file, '# governance:\n#   financial_threshold: 1\n# api: {}\n');
    const c = await degraded();
    expect(c.reason).toMatch(/empty|no settings/i);
    await expectRunningConfigKept();
    expect(applied).toHaveLength(0);
  });

  it('a line-truncated file that still parses (sections lost) is held, not applied', async () => {
    await boot(false);
    // Cut mid-number in the first section: valid YAML, valid config, `api` and `webhooks` gone.
    writeFileSync(file, fullYaml(20000).slice(0, fullYaml(20000).indexOf('20000') + 3));
    const c = await degraded();
    expect(c.reason).toMatch(/api/);
    expect(c.reason).toMatch(/webhooks/);
    await expectRunningConfigKept();
    expect(applied).toHaveLength(0);

    // Restoring the sections recovers, and the threshold in the good file applies.
    // (Lower than the running one: a higher threshold would be held as a governance weakening.)
    writeFileSync(file, fullYaml(5000));
    await until(async () => (await configuration()).status === 'healthy', 'recovery');
    expect(t.app.get(ConfigStore).get('governance').financial_threshold).toBe(5000);
  });

  it('a half-written file is not applied before its content is stable', async () => {
    await boot(false);
    const thresholds: number[] = [];
    t.app.get(ConfigStore).onChange((e) => {
      thresholds.push(e.current.governance.financial_threshold);
    }, 'governance');
    // One writer, two chunks 150 ms apart (> debounce_ms, < stable_ms): the first chunk alone is a
    // valid config with threshold 5.
    const full = fullYaml(5000);
    const cut = full.indexOf('5000') + 1;
    const fd = openSync(file, 'w');
    writeSync(fd, full.slice(0, cut));
    await new Promise((r) => setTimeout(r, 150));
    writeSync(fd, full.slice(cut));
    closeSync(fd);
    await until(() => thresholds.includes(5000), 'the complete file to apply');
    expect(thresholds).toEqual([5000]);
    expect((await configuration()).status).toBe('healthy');
  });

  it('a file replaced by a directory is reported and the last good config stays', async () => {
    await boot(false);
    rmSync(file);
    mkdirSync(file);
    const c = await until(async () => {
      const h = await configuration();
      return h.status === 'degraded' && /directory/.test(h.reason) ? h : null;
    }, 'a degraded check naming the directory');
    expect(c.reason).toContain(file);
    await expectRunningConfigKept();

    rmSync(file, { recursive: true });
    writeFileSync(file, fullYaml(10000, [KEY1, KEY2]));
    await until(async () => (await configuration()).status === 'healthy', 'recovery');
    expect((await api(KEY2)).status).toBe(200);
  });

  it('a ConfigMap swap that empties api.keys is held for a restart and reported', async () => {
    await boot(true);
    kubeletWrite(dir, { 'mira.yaml': fullYaml(10000, []).replace('  keys:\n', '  keys: []\n') });
    const c = await degraded();
    expect(c.pending_restart).toContain('api.keys');
    expect(c.reason).toMatch(/api\.keys/);
    await expectRunningConfigKept();
    expectNoValuesIn(JSON.stringify(await request(`${t.url}/healthz`)));
  });

  it('a ConfigMap swap that switches auth off or drops a webhook secret is held; other keys apply', async () => {
    await boot(true);
    const weakened =
      `governance:\n  financial_threshold: 5000\napi:\n  auth: disabled\n  keys:\n    - ${KEY1}\n` +
      `webhooks:\n  github:\n    secret: null\n`;
    kubeletWrite(dir, { 'mira.yaml': weakened });
    const c = await degraded();
    expect(c.pending_restart).toEqual(expect.arrayContaining(['api.auth', 'webhooks.github.secret']));
    expect(c.reason).toMatch(/api\.auth/);
    expect(c.reason).toMatch(/webhooks\.github\.secret/);
    const store = t.app.get(ConfigStore);
    expect(store.get('api').auth).toBe('enabled');
    expect(store.get('webhooks').github?.secret).toBe(GH);
    expect((await api()).status).toBe(401);
    // The part that does not weaken authentication applied live.
    expect(store.get('governance').financial_threshold).toBe(5000);
    expectNoValuesIn(JSON.stringify(c));

    // Restoring them clears the hold.
    kubeletWrite(dir, { 'mira.yaml': fullYaml(5000) });
    await until(async () => (await configuration()).status === 'healthy', 'recovery');
    expect((await configuration()).pending_restart).toEqual([]);
  });

  it('rotating api.keys down to fewer (not zero) keys still applies live', async () => {
    await boot(true);
    kubeletWrite(dir, { 'mira.yaml': fullYaml(10000, [KEY1, KEY2]) });
    await until(async () => (await api(KEY2)).status === 200, 'the added key');
    kubeletWrite(dir, { 'mira.yaml': fullYaml(10000, [KEY2]) });
    await until(async () => (await api(KEY1)).status === 401, 'the removed key refused');
    expect((await api(KEY2)).status).toBe(200);
    expect((await configuration()).status).toBe('healthy');
  });
});
