import { untilAccepted as until, useReloadingApp } from './support/reloading-app';
import { request } from './support/test-app';

// The real app over real HTTP, flags from a real ConfigMap-style config file reloaded live.

const ADMIN = { 'x-api-key': 'flags-admin-key' };
const SUBMITTER = { 'x-api-key': 'flags-submitter-key' };
const ROLLOUT = 'agent.project_plan_agent.enabled';
const onOff = { on: true, off: false };

function flagsConfig(percent: number, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    features: {
      legacy_beta: true,
      flags: {
        [ROLLOUT]: {
          variants: onOff,
          defaultVariant: 'off',
          targeting: {
            fractional: [
              ['on', percent],
              ['off', 100 - percent],
            ],
          },
        },
        'agent.status_reporter_agent.enabled': {
          variants: onOff,
          defaultVariant: 'off',
          targeting: { if: [{ in: ['admin', { var: 'roles' }] }, 'on', null] },
        },
        'agent.risk_assessment.rules': {
          variants: { v1: 'v1', v2: 'v2' },
          defaultVariant: 'v1',
          targeting: { if: [{ in: [{ var: 'project' }, ['Apollo']] }, 'v2', null] },
        },
        ...extra,
      },
    },
  });
}

describe('feature flags (OpenFeature, flagd format, OFREP) over real HTTP', () => {
  const t = useReloadingApp({
    prefix: 'mira-flags-',
    yaml: flagsConfig(20),
    logPrefix: 'mira-flags-log-',
    logging: { level: 'info' },
    overrides: {
      api: {
        keys: [
          { name: 'ops', key: 'flags-admin-key', roles: ['admin'] },
          { name: 'alice', key: 'flags-submitter-key', roles: ['submitter'] },
        ],
        rate_limit: { enabled: false },
      },
    },
  });

  const ofrep = (key: string, body: unknown, headers = ADMIN) =>
    request(`${t.app.url}/ofrep/v1/evaluate/flags/${key}`, { body, headers });
  const health = () => t.configuration();
  const logLines = () => t.logLines<{ msg: string; level: number | string }>();

  /** Evaluates the rollout flag for `keys` over OFREP, a few requests in flight at a time. */
  async function rollout(keys: string[]): Promise<Map<string, boolean>> {
    const out = new Map<string, boolean>();
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < keys.length) {
          const key = keys[next++];
          const r = await ofrep(ROLLOUT, { context: { targetingKey: key } });
          expect(r.status).toBe(200);
          out.set(key, r.body.value);
        }
      }),
    );
    return out;
  }

  it('a 20 % rollout over 10,000 distinct targeting keys enables 20 ± 2 %, the same answer every time', async () => {
    const keys = Array.from({ length: 10_000 }, (_, i) => `caller-${i}`);
    const first = await rollout(keys);
    const on = [...first.values()].filter(Boolean).length;
    expect(on).toBeGreaterThanOrEqual(1800);
    expect(on).toBeLessThanOrEqual(2200);
    const again = await rollout(keys.slice(0, 500));
    for (const [k, v] of again) expect(v).toBe(first.get(k));
  }, 180_000);

  it('answers OFREP success and error shapes', async () => {
    const ok = await ofrep(ROLLOUT, { context: { targetingKey: 'caller-1' } });
    expect(ok.body).toMatchObject({ key: ROLLOUT, reason: 'TARGETING_MATCH', metadata: {} });
    expect(['on', 'off']).toContain(ok.body.variant);

    expect(await ofrep('no.such.flag', { context: { targetingKey: 'x' } })).toMatchObject({
      status: 404,
      body: { key: 'no.such.flag', errorCode: 'FLAG_NOT_FOUND', errorDetails: expect.any(String) },
    });
    expect(await ofrep(ROLLOUT, { context: {} })).toMatchObject({
      status: 400,
      body: {
        key: ROLLOUT,
        errorCode: 'TARGETING_KEY_MISSING',
        errorDetails: expect.stringContaining('targetingKey'),
      },
    });
    expect(await ofrep(ROLLOUT, { context: 'nope' })).toMatchObject({
      status: 400,
      body: { key: ROLLOUT, errorCode: 'INVALID_CONTEXT' },
    });
    expect((await ofrep(ROLLOUT, { context: { targetingKey: 'x' } }, {} as typeof ADMIN)).status).toBe(401);

    const bulk = await request(`${t.app.url}/ofrep/v1/evaluate/flags`, {
      body: { context: { targetingKey: 'caller-1', roles: ['admin'] } },
      headers: ADMIN,
    });
    expect(bulk.status).toBe(200);
    const etag = bulk.headers.get('etag');
    expect(etag).toMatch(/^".+"$/);
    expect(bulk.body.flags).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ key: 'agent.status_reporter_agent.enabled', value: true, variant: 'on' }),
        expect.objectContaining({ key: 'legacy_beta', value: true }),
      ]),
    );
    const cached = await request(`${t.app.url}/ofrep/v1/evaluate/flags`, {
      body: { context: { targetingKey: 'caller-1', roles: ['admin'] } },
      headers: { ...ADMIN, 'if-none-match': etag as string },
    });
    expect(cached.status).toBe(304);
    // Roles are the caller's, never the body's: a submitter claiming admin is evaluated as a submitter.
    const changed = await request(`${t.app.url}/ofrep/v1/evaluate/flags`, {
      body: { context: { targetingKey: 'caller-1', roles: ['admin'] } },
      headers: { ...SUBMITTER, 'if-none-match': etag as string },
    });
    expect(changed.status).toBe(200);
    expect(changed.headers.get('etag')).not.toBe(etag);
    expect(changed.body.flags).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ key: 'agent.status_reporter_agent.enabled', value: false }),
      ]),
    );

    // Counted by configured flag key; an unknown key never becomes a label value.
    const metrics = (await request(`${t.app.url}/metrics`)).text;
    expect(metrics).toMatch(
      new RegExp(
        `mira_feature_flag_evaluations_total\\{flag="${ROLLOUT.replace(/\./g, '\\.')}",variant="(on|off)",reason="TARGETING_MATCH"\\} \\d+`,
      ),
    );
    expect(metrics).not.toContain('flag="no.such.flag"');
  });

  it("gates an agent by the caller's role (agent.<id>.enabled, caller identity in the context)", async () => {
    const report = (headers: Record<string, string>) =>
      request(`${t.app.url}/api/v1/messages`, {
        body: { type: 'generate_report', data: { name: 'Apollo' } },
        headers,
      });
    expect((await report(ADMIN)).status).toBe(200);
    const refused = await report(SUBMITTER);
    expect(refused.status).not.toBe(200);
    expect(refused.text).toContain('status_reporter_agent');
  });

  it("gates an agent by the caller's role on the broker path too (POST /events: roles travel in headers)", async () => {
    const publish = async (headers: Record<string, string>) => {
      const posted = await request(`${t.app.url}/api/v1/events`, {
        body: { type: 'generate_report', data: { name: 'Apollo' } },
        headers,
      });
      expect(posted.status).toBe(202);
      return until(
        'the event to be answered or failed',
        () => request(`${t.app.url}/api/v1/events/${posted.body.id}`, { headers }),
        (r) => r.body.status === 'answered' || r.body.status === 'failed',
      );
    };
    expect((await publish(ADMIN)).body.status).toBe('answered');
    const refused = await publish(SUBMITTER);
    expect(refused.body.status).toBe('failed');
  });

  it('keeps the old boolean features.* working, with a deprecation notice', async () => {
    expect((await ofrep('legacy_beta', {})).body).toMatchObject({
      value: true,
      variant: 'on',
      reason: 'STATIC',
    });
    expect(logLines().some((l) => /features\.legacy_beta: true\|false is deprecated/.test(l.msg))).toBe(true);
  });

  it('rolls out risk rules v2 per project', async () => {
    const assess = (name: string) =>
      request(`${t.app.url}/api/v1/messages`, {
        body: { type: 'assess_risks', data: { name, description: 'Contract renewal with the vendor' } },
        headers: ADMIN,
      });
    // v1 matches "new" inside "renewal"; v2 matches whole words only.
    expect((await assess('Zeus')).body.data).toMatchObject({ rules: 'v1', total_risks: 1 });
    expect((await assess('Apollo')).body.data).toMatchObject({ rules: 'v2', total_risks: 0 });
  });

  it('turns a workflow type off and on live (workflow.<type>.enabled)', async () => {
    const start = () =>
      request(`${t.app.url}/api/v1/workflows`, {
        body: { workflow_type: 'project_initialization', data: { name: 'Flagged', goals: ['A'] } },
        headers: ADMIN,
      });
    const wf = (on: boolean) => ({
      'workflow.project_initialization.enabled': { variants: onOff, defaultVariant: on ? 'on' : 'off' },
    });
    t.write(flagsConfig(20, wf(false)));
    const off = await until('the workflow to be off', start, (r) => r.status === 404);
    expect(off.text).toContain('workflow.project_initialization.enabled');
    t.write(flagsConfig(20, wf(true)));
    const on = await until('the workflow to be on', start, (r) => r.status !== 404);
    expect(on.status).toBeLessThan(300);
  });

  it('applies a live reload to 100 % within the debounce, and keeps the last good on an invalid definition', async () => {
    const sample = Array.from({ length: 200 }, (_, i) => `caller-${i}`);
    t.write(flagsConfig(100));
    await until(
      '100 % rollout',
      async () => [...(await rollout(sample)).values()].every(Boolean),
      (v) => v,
    );
    await until(
      'change log line',
      async () => logLines(),
      (ls) => ls.some((l) => l.msg.startsWith(`Flag ${ROLLOUT} changed by config reload`)),
    );

    t.write(
      flagsConfig(0, {
        broken: {
          variants: onOff,
          defaultVariant: 'on',
          targeting: { if: [{ frobnicate: [1] }, 'on', null] },
        },
      }),
    );
    const degraded = await until('degraded health', health, (c) => c.status === 'degraded');
    expect(degraded.reason).toMatch(/features\.flags\.broken\.targeting/);
    expect(degraded.reason).toContain('targeting.if[0].frobnicate');
    // The last good definitions (100 %) keep serving.
    expect([...(await rollout(sample)).values()].every(Boolean)).toBe(true);
    expect((await ofrep('broken', { context: { targetingKey: 'x' } })).status).toBe(404);

    t.write(flagsConfig(0));
    await until('recovery', health, (c) => c.status === 'healthy');
    expect([...(await rollout(sample)).values()].some(Boolean)).toBe(false);
  }, 60_000);
});
