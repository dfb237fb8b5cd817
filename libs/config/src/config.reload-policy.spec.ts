import { loadConfig } from './config.loader';
import { authWeakenings, isLiveReloadable, planReload } from './config.reload-policy';
import type { MiraConfig } from './config.schema';

const load = (overrides: Record<string, unknown>) => loadConfig({ file: null, env: {}, overrides }).config;

describe('reload policy', () => {
  it('knows which keys reload live', () => {
    expect(isLiveReloadable('logging.level')).toBe(true);
    expect(isLiveReloadable('governance.financial_threshold')).toBe(true);
    expect(isLiveReloadable('agents.governance_agent.enabled')).toBe(true);
    expect(isLiveReloadable('broker.queue_size')).toBe(true);
    expect(isLiveReloadable('server.port')).toBe(false);
    expect(isLiveReloadable('broker.transport')).toBe(false);
    expect(isLiveReloadable('broker.redis.url')).toBe(false);
    expect(isLiveReloadable('secrets.backend')).toBe(false);
    expect(isLiveReloadable('agents.governance_agent.other')).toBe(false);
  });

  it('treats the edge settings that are read per request or subscribed to as live', () => {
    for (const path of [
      'api.keys',
      'api.auth',
      'api.protect_metrics',
      'api.rate_limit.limit',
      'api.webhook_rate_limit.enabled',
      'webhooks.github.secret',
      'webhooks.github.enabled',
      'features.new_dashboard',
    ])
      expect({ path, live: isLiveReloadable(path) }).toEqual({ path, live: true });
    expect(isLiveReloadable('api.cors_origins')).toBe(false);
  });

  it('applies live keys and keeps the running value of restart-only keys', () => {
    const running = load({ server: { port: 3000 } });
    const desired = load({
      server: { port: 4000 },
      broker: { redis: { url: 'redis://other:6379' }, queue_size: 10 },
      governance: { financial_threshold: 1 },
      agents: { governance_agent: { enabled: false } },
    });
    const plan = planReload(running, desired);
    expect(plan.pendingRestart).toEqual(['server.port', 'broker.redis.url']);
    expect(plan.config.server.port).toBe(3000);
    expect(plan.config.broker.redis.url).toBe(running.broker.redis.url);
    expect(plan.config.broker.queue_size).toBe(10);
    expect(plan.config.governance.financial_threshold).toBe(1);
    expect(plan.config.agents).toEqual({ governance_agent: { enabled: false } });
    expect(Object.isFrozen(plan.config.broker)).toBe(true);
  });

  it('drops a restart-only key that did not exist in the running config (live siblings still apply)', () => {
    const running = load({});
    const desired = load({ agents: { extra_agent: { mode: 'x' } } });
    const plan = planReload(running, desired);
    expect(plan.config.agents).toEqual({ extra_agent: { enabled: true } });
    expect(plan.pendingRestart).toEqual(['agents.extra_agent.mode']);
  });

  it('puts back a restart-only key that the new file removed', () => {
    const running = load({ agents: { extra_agent: { mode: 'x' } } });
    const plan = planReload(running, load({}));
    expect(plan.config.agents).toEqual({ extra_agent: { mode: 'x' } });
    expect(plan.pendingRestart).toEqual(['agents.extra_agent.mode']);
  });

  describe('auth-weakening changes', () => {
    const running = load({
      api: { keys: ['k1', 'k2'], protect_metrics: true },
      webhooks: { github: { secret: 'gh' }, jira: { secret: 'j' } },
      // Above the 2 below: a lower threshold tightens review and applies live (a higher one is held).
      governance: { financial_threshold: 3 },
    });
    /** A desired config with `api` / `webhooks` replaced (keys entries of any shape). */
    const desired = (api: Record<string, unknown>, webhooks: Record<string, unknown>) =>
      ({ ...running, api: { ...running.api, ...api }, webhooks }) as unknown as MiraConfig;

    it('names emptied keys, auth off, metrics unprotected and removed webhook secrets (paths only)', () => {
      const d = desired(
        { keys: [], auth: 'disabled', protect_metrics: false },
        { github: { ...running.webhooks.github, secret: null } },
      );
      expect(authWeakenings(running, d)).toEqual([
        { path: 'api.keys', change: 'emptied' },
        { path: 'api.auth', change: 'enabled -> disabled' },
        { path: 'api.protect_metrics', change: 'true -> false' },
        { path: 'webhooks.github.secret', change: 'removed' },
        { path: 'webhooks.jira', change: 'removed' },
      ]);
    });

    it('holds wider roles for a named key, a lower approval quorum and self-approval switched on', () => {
      const withKeys = (roles: string[]) =>
        ({
          ...running,
          api: { ...running.api, keys: [{ name: 'ci', key: 'k3', roles }] },
        }) as unknown as MiraConfig;
      const before = withKeys(['submitter']);
      expect(authWeakenings(before, withKeys(['submitter', 'admin']))).toEqual([
        { path: 'api.keys', change: 'roles of ci widened' },
      ]);
      expect(authWeakenings(withKeys(['submitter', 'admin']), withKeys(['submitter']))).toEqual([]);
      const governed = (approvals_required: Record<string, number>, allow_self_approval: boolean) =>
        ({
          ...running,
          governance: { ...running.governance, approvals_required, allow_self_approval },
        }) as unknown as MiraConfig;
      const strict = governed({ low: 1, medium: 2, high: 3 }, false);
      expect(authWeakenings(strict, governed({ low: 1, medium: 2, high: 1 }, true))).toEqual([
        { path: 'governance.approvals_required.high', change: 'lowered' },
        { path: 'governance.allow_self_approval', change: 'false -> true' },
      ]);
      expect(authWeakenings(strict, governed({ low: 2, medium: 2, high: 4 }, false))).toEqual([]);
    });

    it('counts api.keys entries of either shape; fewer keys or a rotated secret is no weakening', () => {
      const hooks = running.webhooks;
      expect(authWeakenings(running, desired({ keys: ['k2'] }, hooks))).toEqual([]);
      expect(
        authWeakenings(running, desired({ keys: [{ name: 'ci', key: 'k3', roles: [] }] }, hooks)),
      ).toEqual([]);
      expect(authWeakenings(running, desired({ keys: ['  '] }, hooks))).toEqual([
        { path: 'api.keys', change: 'emptied' },
      ]);
      expect(authWeakenings(running, desired({ keys: [{ name: 'ci', key: '' }] }, hooks))).toEqual([
        { path: 'api.keys', change: 'emptied' },
      ]);
      const rotated = { ...hooks, github: { ...hooks.github, secret: 'gh-2' } };
      expect(authWeakenings(running, desired({}, rotated))).toEqual([]);
    });

    it('planReload keeps the running values of held paths, lists them pending, applies the rest', () => {
      const d = {
        ...desired({ keys: [] }, { github: running.webhooks.github }),
        governance: { ...running.governance, financial_threshold: 2 },
      } as MiraConfig;
      const plan = planReload(running, d);
      expect(plan.config.api.keys).toEqual(['k1', 'k2']);
      expect(plan.config.webhooks.jira).toEqual(running.webhooks.jira);
      expect(plan.config.governance.financial_threshold).toBe(2);
      expect(plan.held.map((h) => h.path)).toEqual(['api.keys', 'webhooks.jira']);
      expect(plan.pendingRestart).toEqual(expect.arrayContaining(['api.keys', 'webhooks.jira.secret']));
      expect(JSON.stringify(plan.pendingRestart) + JSON.stringify(plan.held)).not.toMatch(/k1|"gh"|"j"/);
    });
  });
});
