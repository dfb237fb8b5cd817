import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request, startTestApp, type TestApp } from './support/test-app';
import { kubeletWrite } from './support/kubelet-volume';

// The real app, a real ConfigMap-style volume directory, real watchers: config changes reach
// HTTP answers and the log output without a restart.

async function until<T>(
  what: string,
  probe: () => Promise<T>,
  ok: (v: T) => boolean,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const configYaml = (threshold: number, level: string) =>
  `logging:\n  level: ${level}\ngovernance:\n  financial_threshold: ${threshold}\n`;

describe('configuration hot reload (real app over HTTP)', () => {
  let dir: string;
  let logFile: string;
  let t: TestApp;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mira-configmap-'));
    logFile = join(mkdtempSync(join(tmpdir(), 'mira-log-')), 'mira.log');
    kubeletWrite(dir, { 'mira.yaml': configYaml(100000, 'warn') });
    t = await startTestApp({
      file: join(dir, 'mira.yaml'),
      // Replaces the harness's `logging: {level: silent}` so the level comes from the file; lines also go to logFile.
      overrides: { config: { hot_reload: true, debounce_ms: 20 }, logging: { file: logFile } },
    });
  });

  afterAll(async () => {
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
    rmSync(join(logFile, '..'), { recursive: true, force: true });
  });

  const assess = () =>
    request(`${t.url}/api/v1/messages`, {
      body: { type: 'assess_governance', data: { financial_impact: 50000 } },
    });
  const health = async () => (await request(`${t.url}/healthz`)).body.checks.configuration;
  const logLines = (): { level: string; msg: string; req?: { url?: string } }[] =>
    existsSync(logFile)
      ? readFileSync(logFile, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l))
      : [];

  // Lowered, so it tightens review and applies live (raising it is held: governance-reload-holds.e2e-spec.ts).
  it('changes assess_governance answers when the threshold changes in the ConfigMap, without restart', async () => {
    const before = await assess();
    expect(before.status).toBe(200);
    expect(before.body.data).toMatchObject({ risk_level: 'low', requires_human_validation: false });

    kubeletWrite(dir, { 'mira.yaml': configYaml(10000, 'warn') });
    const after = await until(
      'the new threshold to apply',
      assess,
      (r) => r.body?.data?.requires_human_validation === true,
    );
    expect(after.body.data).toMatchObject({ risk_level: 'high' });
    expect(await health()).toMatchObject({ status: 'healthy', reloads: { ok: 1, failed: 0 } });
  });

  it('shows a log level change in the output', async () => {
    // At `warn`, successful requests (logged at info) leave no line.
    await request(`${t.url}/healthz`);
    const isRequestLine = (l: { level: string; req?: { url?: string } }) =>
      l.level === 'info' && l.req?.url === '/api/v1/agents';
    await request(`${t.url}/api/v1/agents`);
    expect(logLines().filter(isRequestLine)).toHaveLength(0);

    kubeletWrite(dir, { 'mira.yaml': configYaml(10000, 'info') });
    await until('the reload', health, (c) => c.reloads.ok === 2);
    await request(`${t.url}/api/v1/agents`);
    await until(
      'an info request line in the output',
      async () => logLines().filter(isRequestLine),
      (l) => l.length > 0,
    );
  });

  it('keeps the last good config on an invalid file, reports degraded, and recovers', async () => {
    kubeletWrite(dir, { 'mira.yaml': 'governance:\n  financial_threshold: -1\n' });
    const degraded = await until('degraded health', health, (c) => c.status === 'degraded');
    expect(degraded.reason).toMatch(/governance\.financial_threshold/);
    expect((await request(`${t.url}/healthz`)).status).toBe(200);
    expect((await assess()).body.data.requires_human_validation).toBe(true);

    kubeletWrite(dir, { 'mira.yaml': configYaml(5000, 'info') });
    await until('recovery', health, (c) => c.status === 'healthy');
    expect((await assess()).body.data.requires_human_validation).toBe(true);
    expect(await health()).toMatchObject({ reloads: { ok: 3, failed: 1 }, reason: null });
  });
});
