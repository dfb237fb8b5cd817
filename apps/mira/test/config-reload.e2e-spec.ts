import { request } from './support/test-app';
import { untilAccepted as until, useReloadingApp } from './support/reloading-app';

// The real app, a real ConfigMap-style volume directory, real watchers: config changes reach
// HTTP answers and the log output without a restart.

const configYaml = (threshold: number, level: string) =>
  `logging:\n  level: ${level}\ngovernance:\n  financial_threshold: ${threshold}\n`;

describe('configuration hot reload (real app over HTTP)', () => {
  // The harness's `logging: {level: silent}` is replaced so the level comes from the file; lines also go to a file.
  const volume = useReloadingApp({
    prefix: 'mira-configmap-',
    yaml: configYaml(100000, 'warn'),
    logPrefix: 'mira-log-',
  });

  const assess = () =>
    request(`${volume.app.url}/api/v1/messages`, {
      body: { type: 'assess_governance', data: { financial_impact: 50000 } },
    });
  const health = volume.configuration;
  const logLines = volume.logLines<{ level: string; msg: string; req?: { url?: string } }>;

  // Lowered, so it tightens review and applies live (raising it is held: governance-reload-holds.e2e-spec.ts).
  it('changes assess_governance answers when the threshold changes in the ConfigMap, without restart', async () => {
    const before = await assess();
    expect(before.status).toBe(200);
    expect(before.body.data).toMatchObject({ risk_level: 'low', requires_human_validation: false });

    volume.write(configYaml(10000, 'warn'));
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
    await request(`${volume.app.url}/healthz`);
    const isRequestLine = (l: { level: string; req?: { url?: string } }) =>
      l.level === 'info' && l.req?.url === '/api/v1/agents';
    await request(`${volume.app.url}/api/v1/agents`);
    expect(logLines().filter(isRequestLine)).toHaveLength(0);

    volume.write(configYaml(10000, 'info'));
    await until('the reload', health, (c) => c.reloads.ok === 2);
    await request(`${volume.app.url}/api/v1/agents`);
    await until(
      'an info request line in the output',
      async () => logLines().filter(isRequestLine),
      (l) => l.length > 0,
    );
  });

  it('keeps the last good config on an invalid file, reports degraded, and recovers', async () => {
    volume.write('governance:\n  financial_threshold: -1\n');
    const degraded = await until('degraded health', health, (c) => c.status === 'degraded');
    expect(degraded.reason).toMatch(/governance\.financial_threshold/);
    expect((await request(`${volume.app.url}/healthz`)).status).toBe(200);
    expect((await assess()).body.data.requires_human_validation).toBe(true);

    volume.write(configYaml(5000, 'info'));
    await until('recovery', health, (c) => c.status === 'healthy');
    expect((await assess()).body.data.requires_human_validation).toBe(true);
    expect(await health()).toMatchObject({ reloads: { ok: 3, failed: 1 }, reason: null });
  });
});
