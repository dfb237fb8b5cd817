import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request, startTestApp } from './support/test-app';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
it('figures', async () => {
  const out: string[] = [];
  for (const [label, content] of [['empty', ''], ['comment', '# x\n'], ['truncated', 'governance:\n  financial_threshold: 200'], ['dir', null]] as const) {
    const dir = mkdtempSync(join(tmpdir(), 'diag-'));
    const file = join(dir, 'mira.yaml');
    writeFileSync(file, 'governance:\n  financial_threshold: 20000\napi:\n  keys:\n    - k1\nwebhooks:\n  github:\n    secret: s1\n');
    const t = await startTestApp({ file, overrides: { config: { hot_reload: true, debounce_ms: 20 } } });
    if (content === null) { rmSync(file); mkdirSync(file); } else writeFileSync(file, content);
    await sleep(1500);
    const a = await request(`${t.url}/api/v1/agents`);
    const h = await request(`${t.url}/healthz`);
    out.push(`${label}: /api no key ${a.status}; configuration ${h.body.checks.configuration.status} ${h.body.checks.configuration.reason}`);
    await t.close(); rmSync(dir, { recursive: true, force: true });
  }
  const root = mkdtempSync(join(tmpdir(), 'diag-s-'));
  writeFileSync(join(root, 'api_key'), 'old-key-1\n');
  const t = await startTestApp({ overrides: { secrets: { backend: 'file', file: { root } }, api: { keys: ['secret://api_key'] } } });
  rmSync(join(root, 'api_key'));
  await sleep(1500);
  let h = await request(`${t.url}/healthz`);
  out.push(`secret deleted: old ${(await request(`${t.url}/api/v1/agents`, { headers: { 'x-api-key': 'old-key-1' } })).status}; secrets ${h.body.checks.secrets.status}`);
  writeFileSync(join(root, 'api_key'), 'new-key-2\n');
  await sleep(3000);
  h = await request(`${t.url}/healthz`);
  out.push(`secret recreated: old ${(await request(`${t.url}/api/v1/agents`, { headers: { 'x-api-key': 'old-key-1' } })).status} new ${(await request(`${t.url}/api/v1/agents`, { headers: { 'x-api-key': 'new-key-2' } })).status}; secrets ${h.body.checks.secrets.status}`);
  rmSync(join(root, 'api_key')); mkdirSync(join(root, 'api_key'));
  await sleep(1500);
  h = await request(`${t.url}/healthz`);
  out.push(`secret dir: secrets ${h.body.checks.secrets.status} ${h.body.checks.secrets.reason}`);
  await t.close();
  writeFileSync('/tmp/h1-diag.txt', out.join('\n'));
}, 60000);
