import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigStore } from '@mira/config';
import { untilAccepted } from './support/reloading-app';
import { request, startTestApp, type TestApp } from './support/test-app';

// Issue 25 item 6: a live reload that would let work through with less review is held until a
// restart (degraded on /healthz, the running value still applies); tightening applies live.
// Real app over HTTP, a real config file rewritten on disk, real watcher.

const KEY = 'gov-reload-key-0123456789abcdef';
const auth = { authorization: `Bearer ${KEY}` };

const yaml = (governance: string) =>
  `api:\n  keys:\n    - { name: ops, key: ${KEY}, roles: [admin] }\ngovernance:\n${governance}`;

describe('governance reload weakenings are held (real app, real file)', () => {
  let dir: string;
  let file: string;
  let t: TestApp;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mira-gov-holds-'));
    file = join(dir, 'mira.yaml');
    writeFileSync(file, yaml('  financial_threshold: 10000\n  approvals_required: { high: 2 }\n'));
    t = await startTestApp({
      file,
      overrides: { config: { hot_reload: true, debounce_ms: 20, stable_ms: 50, poll_interval: 1 } },
    });
  });
  afterAll(async () => {
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const configuration = async () => (await request(`${t.url}/healthz`)).body.checks.configuration;
  // 50000 of impact: held under a 10000 threshold, run at once under 100000.
  const submit = () =>
    request(`${t.url}/api/v1/workflows`, {
      headers: auth,
      body: {
        workflow_type: 'project_initialization',
        data: { name: 'Spend', description: 'x', goals: ['Design'] },
        governance_data: { financial_impact: 50000 },
      },
    });

  it('raising financial_threshold live is held: degraded naming the key, the old threshold still applies', async () => {
    writeFileSync(file, yaml('  financial_threshold: 100000\n  approvals_required: { high: 2 }\n'));
    const c = await untilAccepted('the hold', configuration, (v) => v.status === 'degraded', 15_000);
    expect(c.reason).toContain('governance.financial_threshold (raised)');
    expect(c.pending_restart).toContain('governance.financial_threshold');
    expect(t.app.get(ConfigStore).get('governance').financial_threshold).toBe(10000);

    const created = await submit();
    expect(created.status).toBe(202);
    expect(created.body).toMatchObject({ status: 'pending_approval', risk_level: 'high' });
    expect(created.body.reasons).toContain('Financial impact $50000 exceeds threshold $10000');
  });

  it('lowering approvals_required live is held too; the running quorum applies', async () => {
    writeFileSync(file, yaml('  financial_threshold: 10000\n  approvals_required: { high: 1 }\n'));
    const c = await untilAccepted(
      'the quorum hold',
      configuration,
      (v) => String(v.reason).includes('governance.approvals_required.high'),
      15_000,
    );
    expect(c.status).toBe('degraded');
    expect(c.reason).not.toContain('financial_threshold');
    const created = await submit();
    expect(created.body).toMatchObject({ status: 'pending_approval', approvals_required: 2 });
  });

  it('tightening applies live: a lower threshold and a higher quorum, and health recovers', async () => {
    writeFileSync(file, yaml('  financial_threshold: 1000\n  approvals_required: { high: 3 }\n'));
    await untilAccepted('recovery', configuration, (v) => v.status === 'healthy', 15_000);
    const governance = t.app.get(ConfigStore).get('governance');
    expect(governance.financial_threshold).toBe(1000);
    expect(governance.approvals_required.high).toBe(3);
    const created = await submit();
    expect(created.body).toMatchObject({ status: 'pending_approval', approvals_required: 3 });
    expect(created.body.reasons).toContain('Financial impact $50000 exceeds threshold $1000');
  });

  it('a truncated governance section (keys back to their defaults) is held where that weakens', async () => {
    writeFileSync(
      file,
      yaml(
        '  financial_threshold: 1000\n  approvals_required: { high: 3 }\n  explainability_threshold: 0.9\n' +
          '  policies:\n    default: { minimum_risk: medium }\n',
      ),
    );
    await untilAccepted(
      'the stricter file',
      async () => t.app.get(ConfigStore).get('governance').policies.default?.minimum_risk,
      (v) => v === 'medium',
      15_000,
    );
    expect((await configuration()).status).toBe('healthy');
    // Cut after the first line of the section: every later governance key falls back to its default.
    writeFileSync(file, yaml('  financial_threshold: 1000\n'));
    const c = await untilAccepted(
      'the truncation hold',
      configuration,
      (v) => String(v.reason).includes('governance.policies.default'),
      15_000,
    );
    expect(c.reason).toContain('governance.approvals_required.high (lowered)');
    expect(c.reason).toContain('governance.explainability_threshold (lowered)');
    expect(c.reason).toContain('governance.policies.default (removed)');
    const governance = t.app.get(ConfigStore).get('governance');
    expect(governance.approvals_required.high).toBe(3);
    expect(governance.explainability_threshold).toBe(0.9);
    expect(governance.policies.default.minimum_risk).toBe('medium');
  });
});
