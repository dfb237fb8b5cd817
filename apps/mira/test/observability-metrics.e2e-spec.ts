import { ConfigStore, loadConfig } from '@mira/config';
import { MetricsService } from '@mira/metrics';
import { promtoolCheck, sample } from './support/prometheus';
import { request, startTestApp, type TestApp } from './support/test-app';

describe('observability: GET /metrics (real app)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('exposes valid Prometheus text with the HTTP, broker, agent, workflow and config series', async () => {
    for (let i = 0; i < 3; i++)
      expect(
        (
          await request(`${t.url}/api/v1/messages`, {
            body: { type: 'generate_plan', data: { goals: ['a'] } },
          })
        ).status,
      ).toBe(200);
    await request(`${t.url}/api/v1/messages`, { body: { type: 'no_such_type_1', data: {} } });
    await request(`${t.url}/api/v1/workflows`, {
      // A low assessment: unassessed work is held by default (governance.policies).
      body: {
        workflow_type: 'project_initialization',
        data: { goals: ['a'] },
        governance_data: { financial_impact: 0 },
      },
    });
    await request(`${t.url}/api/v1/workflows`, {
      body: {
        workflow_type: 'project_initialization',
        data: {},
        governance_data: { financial_impact: 50000 },
      },
    });
    await request(`${t.url}/api/v1/events`, { body: { type: 'generate_plan', data: { goals: ['x'] } } });
    await request(`${t.url}/this/does/not/exist/12345`);
    // A config reload, ok and failed.
    const store = t.app.get(ConfigStore);
    store.replace(loadConfig({ file: null, env: {}, overrides: { ...store.current } }));
    store.markFailed('test: invalid file');

    // The broker delivery is asynchronous: poll until the delivered counter shows it.
    const deadline = Date.now() + 10000;
    let text: string;
    for (;;) {
      const res = await request(`${t.url}/metrics`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/plain');
      text = res.text;
      if ((sample(text, 'mira_broker_messages_delivered_total', { type: 'generate_plan' }) ?? 0) >= 1) break;
      if (Date.now() > deadline) throw new Error(`no broker delivery in metrics:\n${text}`);
      await new Promise((r) => setTimeout(r, 20));
    }

    const check = promtoolCheck(text);
    expect(check.output).not.toMatch(/error/i);
    expect(check.ok).toBe(true);

    expect(text).toContain('process_cpu_user_seconds_total');
    expect(
      sample(text, 'http_request_duration_seconds_count', {
        method: 'POST',
        route: '/api/v1/messages',
        status_code: '200',
      }),
    ).toBe(3);
    expect(
      sample(text, 'http_request_duration_seconds_count', { route: 'unmatched', status_code: '404' }),
    ).toBe(1);
    expect(text).not.toContain('12345'); // raw URLs never become labels
    expect(text).not.toContain('no_such_type_1'); // unrouted types map to "other"
    expect(
      sample(text, 'mira_agent_processing_duration_seconds_count', {
        agent: 'orchestrator',
        type: 'other',
        outcome: 'no_route',
      }),
    ).toBe(1);
    expect(
      sample(text, 'mira_agent_processing_duration_seconds_count', {
        agent: 'project_plan_agent',
        type: 'generate_plan',
        outcome: 'success',
      }),
    ).toBeGreaterThanOrEqual(4);
    expect(
      sample(text, 'mira_workflows_total', { workflow_type: 'project_initialization', status: 'completed' }),
    ).toBe(1);
    expect(
      sample(text, 'mira_workflows_total', {
        workflow_type: 'project_initialization',
        status: 'pending_approval',
      }),
    ).toBe(1);
    expect(sample(text, 'mira_broker_messages_published_total', { type: 'generate_plan' })).toBe(1);
    expect(
      sample(text, 'mira_broker_messages_published_total', { type: 'governance.pending_approval' }),
    ).toBe(1);
    expect(sample(text, 'mira_broker_queue_depth', {})).toBeGreaterThanOrEqual(0);
    expect(sample(text, 'mira_broker_in_flight', {})).toBeGreaterThanOrEqual(0);
    expect(sample(text, 'mira_config_reloads_total', { result: 'ok' })).toBe(1);
    expect(sample(text, 'mira_config_reloads_total', { result: 'failed' })).toBe(1);
  });

  it('keeps label cardinality bounded under random message types', async () => {
    await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        request(`${t.url}/api/v1/events`, { body: { type: `random.type.${i}`, data: {} } }),
      ),
    );
    const text = (await request(`${t.url}/metrics`)).text;
    const types = new Set(
      text
        .split('\n')
        .filter((l) => l.startsWith('mira_broker_messages_published_total{'))
        .map((l) => /type="([^"]*)"/.exec(l)?.[1]),
    );
    // Registered types + at most 16 admitted extras + "other".
    expect(types.size).toBeLessThanOrEqual(12 + 16 + 1);
    expect(types.has('other')).toBe(true);
    const check = promtoolCheck(text);
    expect(check.output).toBe('');
    expect(check.ok).toBe(true);
  });

  it('lets other modules register series through the get-or-create API', async () => {
    const metrics = t.app.get(MetricsService);
    const c = metrics.counter({
      name: 'mira_secrets_refresh_total',
      help: 'Secret refreshes',
      labelNames: ['backend', 'result'],
    });
    expect(
      metrics.counter({
        name: 'mira_secrets_refresh_total',
        help: 'Secret refreshes',
        labelNames: ['backend', 'result'],
      }),
    ).toBe(c);
    c.inc({ backend: 'vault', result: 'ok' });
    const text = (await request(`${t.url}/metrics`)).text;
    expect(sample(text, 'mira_secrets_refresh_total', { backend: 'vault', result: 'ok' })).toBe(1);
  });
});
