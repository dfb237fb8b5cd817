import { Logger } from '@nestjs/common';
import { ConfigStore, loadConfig, type MiraConfigInput } from '@mira/config';
import { AgentError } from './agent.error';
import { DEVELOPMENT_AUDIT_KEY, GovernanceAuditKeys } from './governance.audit-key';
import './agents.config';

const keys = (NODE_ENV: string, governance: MiraConfigInput['governance'] = {}) =>
  new GovernanceAuditKeys(new ConfigStore(loadConfig({ file: null, env: {}, overrides: { governance } })), {
    env: { NODE_ENV },
  });

describe('GovernanceAuditKeys', () => {
  it('is fatal at start in production without governance.audit.key, naming the key', () => {
    const k = keys('production');
    expect(() => k.onApplicationBootstrap()).toThrow(AgentError);
    expect(() => k.onApplicationBootstrap()).toThrow(
      /governance\.audit\.key is not set while NODE_ENV=production/,
    );
  });

  it('uses the development key outside production, with one warning', () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    try {
      const k = keys('development');
      k.onApplicationBootstrap();
      expect(k.current).toEqual({ id: 'k1', key: DEVELOPMENT_AUDIT_KEY });
      expect(k.isDevelopmentKey).toBe(true);
      expect(warn).toHaveBeenCalledTimes(1);
      expect(String(warn.mock.calls[0][0])).toContain('governance.audit.key');
    } finally {
      warn.mockRestore();
    }
  });

  it('lists the configured key first, then the previous keys by id', () => {
    const k = keys('production', {
      audit: { key: 'a'.repeat(32), key_id: 'k2', previous_keys: [{ id: 'k1', key: 'b'.repeat(32) }] },
    });
    k.onApplicationBootstrap();
    expect(k.all.map((x) => x.id)).toEqual(['k2', 'k1']);
    expect(k.isDevelopmentKey).toBe(false);
  });

  it('validates the audit keys: anchor interval default 60, URL for the webhook', () => {
    const config = loadConfig({ file: null, env: {}, overrides: {} }).config.governance.audit;
    expect(config).toMatchObject({
      key: null,
      key_id: 'k1',
      previous_keys: [],
      anchor_interval_seconds: 60,
      anchor_webhook: null,
    });
    expect(() =>
      loadConfig({
        file: null,
        env: {},
        overrides: { governance: { audit: { anchor_webhook: 'not a url' } } },
      }),
    ).toThrow(/governance\.audit\.anchor_webhook/);
  });

  it('refuses in production a key under 32 characters and the development key, naming governance.audit.key', () => {
    const short = keys('production', { audit: { key: 'x'.repeat(31) } });
    expect(() => short.onApplicationBootstrap()).toThrow(/governance\.audit\.key is shorter than 32/);
    const dev = keys('production', { audit: { key: DEVELOPMENT_AUDIT_KEY } });
    expect(() => dev.onApplicationBootstrap()).toThrow(
      /governance\.audit\.key is the built-in development key/,
    );
    // Outside production a short key is still accepted (tests, local runs).
    expect(() => keys('development', { audit: { key: 'short' } }).onApplicationBootstrap()).not.toThrow();
  });

  it("accepts compose's documented demo key in production with a loud warning", () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    try {
      const k = keys('production', { audit: { key: 'compose-demo-audit-key-not-for-production' } });
      k.onApplicationBootstrap();
      expect(k.isDevelopmentKey).toBe(false);
      expect(warn).toHaveBeenCalledTimes(1);
      expect(String(warn.mock.calls[0][0])).toMatch(/demo key.*governance\.audit\.key/);
    } finally {
      warn.mockRestore();
    }
  });
});
