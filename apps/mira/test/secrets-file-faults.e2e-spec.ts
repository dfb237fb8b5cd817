import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { recordSecretValues } from './support/log-capture';
import { until } from './support/poll';
import { request, startTestApp, type TestApp } from './support/test-app';
import { kubeletWrite } from './support/kubelet-volume';

// File secrets deleted, re-created, replaced by a directory or left as a broken link, with the
// real app, real files and symlinks: the API key in force follows the file, and /healthz says when
// a value is served stale (never the value itself).

describe('file secrets that disappear and come back (real app, real files)', () => {
  const values = Array.from({ length: 6 }, (_, i) => `api-key-${i}-${randomUUID()}`);
  recordSecretValues(...values);
  let root: string;
  let t: TestApp;

  beforeEach(async () => {
    root = mkdtempSync(join(tmpdir(), 'mira-secret-faults-'));
    writeFileSync(join(root, 'api_key'), `${values[0]}\n`);
    kubeletWrite(join(root, 'kv'), { token: values[1] }, { keepOld: true });
    t = await startTestApp({
      overrides: {
        secrets: { backend: 'file', file: { root } },
        api: { keys: ['secret://api_key', 'secret://kv:token'] },
      },
    });
  });
  afterEach(async () => {
    await t?.close();
    rmSync(root, { recursive: true, force: true });
  });

  const status = async (key: string) =>
    (await request(`${t.url}/api/v1/agents`, { headers: { 'x-api-key': key } })).status;
  const secretsCheck = async () => {
    const res = await request(`${t.url}/healthz`);
    for (const v of values) expect(res.text).not.toContain(v);
    return res.body.checks.secrets;
  };
  const degraded = (what: RegExp) =>
    until(async () => {
      const c = await secretsCheck();
      return c.status === 'degraded' && what.test(c.reason) ? c : null;
    }, `the secrets check to turn degraded (${what})`);
  const healthy = () => until(async () => (await secretsCheck()).status === 'healthy', 'secrets healthy');

  it('a Docker-style secret deleted then re-created with a new value: stale while gone, then re-read', async () => {
    expect(await status(values[0])).toBe(200);
    rmSync(join(root, 'api_key'));
    const c = await degraded(/secret:\/\/api_key/);
    expect(c.stale).toBe(1);
    // The last good value is still served while the file is gone.
    expect(await status(values[0])).toBe(200);

    writeFileSync(join(root, 'api_key'), `${values[2]}\n`);
    await until(async () => (await status(values[2])) === 200, 'the new key accepted');
    // api.rotation_grace_seconds is 0 by default: the replaced key stops at once.
    expect(await status(values[0])).toBe(401);
    await healthy();
  });

  it('a secret replaced by a directory is reported and the last good value served', async () => {
    rmSync(join(root, 'api_key'));
    mkdirSync(join(root, 'api_key'));
    const c = await degraded(/directory/);
    expect(c.reason).toContain('secret://api_key');
    expect(await status(values[0])).toBe(200);

    rmSync(join(root, 'api_key'), { recursive: true });
    writeFileSync(join(root, 'api_key'), values[3]);
    await until(async () => (await status(values[3])) === 200, 'the new key accepted');
    expect(await status(values[0])).toBe(401);
    await healthy();
  });

  it('a mounted secret whose ..data link breaks is reported; a new volume is re-read', async () => {
    symlinkSync('..gone', join(root, 'kv', '..data_tmp'));
    renameSync(join(root, 'kv', '..data_tmp'), join(root, 'kv', '..data'));
    const c = await degraded(/secret:\/\/kv:token/);
    expect(c.reason).toMatch(/broken symlink|does not exist/);
    expect(await status(values[1])).toBe(200);

    kubeletWrite(join(root, 'kv'), { token: values[4] }, { keepOld: true });
    await until(async () => (await status(values[4])) === 200, 'the new key accepted');
    expect(await status(values[1])).toBe(401);
    await healthy();
  });

  it('a mounted secret volume removed and mounted again with a new value is re-read', async () => {
    rmSync(join(root, 'kv'), { recursive: true });
    await degraded(/secret:\/\/kv:token/);
    expect(await status(values[1])).toBe(200);

    kubeletWrite(join(root, 'kv'), { token: values[5] }, { keepOld: true });
    await until(async () => (await status(values[5])) === 200, 'the new key accepted');
    expect(await status(values[1])).toBe(401);
    await healthy();
  });
});
