import { tmpdir } from 'node:os';
import { tempFile as tempFileIn, thrownBy } from '../../../apps/mira/test/support/spec-helpers';
import { envNameForPath, readEnvLayer } from './config.env';
import { ConfigError } from './config.error';
import { loadConfig, resolveConfigFile } from './config.loader';
import { ConfigStore } from './config.store';

const tempFile = (name: string, text: string) => tempFileIn(name, text, 'mira-cfg-');

describe('config layering: defaults < file < overrides < environment', () => {
  it('has embedded defaults for every section', () => {
    const { config, file } = loadConfig({ file: null, env: {} });
    expect(file).toBeNull();
    expect(config.server).toEqual({
      host: '0.0.0.0',
      port: 3000,
      body_limit_bytes: 1048576,
      max_response_bytes: 8 * 1024 * 1024,
      max_json_depth: 64,
      request_timeout_ms: 30000,
      idle_timeout_ms: 60000,
      trust_proxy: false,
    });
    expect(config.governance).toEqual({
      financial_threshold: 10000,
      compliance_threshold: 'medium',
      explainability_threshold: 0.7,
      approvals_required: { low: 1, medium: 1, high: 1 },
      approval_ttl_seconds: 259200,
      allow_self_approval: false,
      lease_seconds: 60,
      sweep_interval_seconds: 30,
      // None listed: the built-in default policy applies (libs/agents governance.policy.ts).
      policies: {},
      audit: {
        key: null,
        key_id: 'k1',
        previous_keys: [],
        anchor_interval_seconds: 60,
        anchor_webhook: null,
        anchor_allowed_hosts: [],
      },
    });
    expect(config.broker.transport).toBe('memory');
    expect(config.broker.queue_size).toBe(1000);
    expect(config.secrets.backend).toBe('env');
    expect(config.shutdown).toEqual({ timeout_ms: 30000, hook_timeout_ms: 10000, drain_delay_ms: null });
    expect(config.agents).toEqual({});
  });

  it('reads YAML and JSON files and keeps defaults for keys they omit', () => {
    const yaml = tempFile(
      'm.yaml',
      'governance:\n  financial_threshold: 5000\nagents:\n  governance_agent:\n    enabled: false\n',
    );
    const json = tempFile('m.json', JSON.stringify({ governance: { compliance_threshold: 'high' } }));
    const a = loadConfig({ file: yaml, env: {} }).config;
    expect(a.governance).toMatchObject({ financial_threshold: 5000, compliance_threshold: 'medium' });
    expect(a.agents.governance_agent.enabled).toBe(false);
    expect(loadConfig({ file: json, env: {} }).config.governance.compliance_threshold).toBe('high');
  });

  it('environment beats file, named and generic forms, with string coercion', () => {
    const file = tempFile('m.yaml', 'governance:\n  financial_threshold: 5000\nlogging:\n  level: debug\n');
    const { config } = loadConfig({
      file,
      env: {
        MIRA_GOVERNANCE__FINANCIAL_THRESHOLD: '7500',
        MIRA_LOG_LEVEL: 'WARN',
        MIRA_LOG_JSON: 'false',
        PORT: '8080',
        MIRA_AGENTS__RISK_ASSESSMENT_AGENT__ENABLED: 'false',
        MIRA_API__KEYS: 'k1, k2',
        MIRA_BROKER__REDIS__URL: 'redis://cache:6379',
        MIRA_CONFIG_HOT_RELOAD: 'true',
      },
    });
    expect(config.governance.financial_threshold).toBe(7500);
    expect(config.logging).toMatchObject({ level: 'warn', json: false });
    expect(config.server.port).toBe(8080);
    expect(config.agents.risk_assessment_agent.enabled).toBe(false);
    expect(config.api.keys).toEqual(['k1', 'k2']);
    expect(config.broker.redis.url).toBe('redis://cache:6379');
    expect(config.config.hot_reload).toBe(true);
  });

  it('honours VAULT_ADDR / VAULT_TOKEN, with the MIRA_ names winning', () => {
    expect(
      loadConfig({ file: null, env: { VAULT_ADDR: 'http://v:8200', VAULT_TOKEN: 't' } }).config.secrets.vault,
    ).toMatchObject({ url: 'http://v:8200', token: 't' });
    expect(
      loadConfig({ file: null, env: { VAULT_ADDR: 'http://v:8200', MIRA_VAULT_URL: 'http://m:8200' } }).config
        .secrets.vault.url,
    ).toBe('http://m:8200');
  });

  it('overrides sit between the file and the environment', () => {
    const file = tempFile('m.yaml', 'governance:\n  financial_threshold: 1\n');
    const { config } = loadConfig({ file, overrides: { governance: { financial_threshold: 2 } }, env: {} });
    expect(config.governance.financial_threshold).toBe(2);
    expect(
      loadConfig({
        file,
        overrides: { governance: { financial_threshold: 2 } },
        env: { MIRA_GOVERNANCE__FINANCIAL_THRESHOLD: '3' },
      }).config.governance.financial_threshold,
    ).toBe(3);
  });

  it('freezes the snapshot', () => {
    const { config } = loadConfig({ file: null, env: {} });
    expect(Object.isFrozen(config.governance)).toBe(true);
  });

  it('maps key paths to generic variable names', () => {
    expect(envNameForPath('governance.financial_threshold')).toBe('MIRA_GOVERNANCE__FINANCIAL_THRESHOLD');
    expect(envNameForPath('broker.redis.url')).toBe('MIRA_BROKER__REDIS__URL');
    expect(readEnvLayer({ MIRA_UNRELATED: 'x', OTHER__THING: 'y' }).values).toEqual({});
  });

  it('finds MIRA_CONFIG_FILE, else config/mira.yaml under cwd when present', () => {
    const file = tempFile('mira.yaml', '');
    expect(resolveConfigFile({ env: { MIRA_CONFIG_FILE: file } })).toBe(file);
    expect(resolveConfigFile({ env: {}, cwd: tmpdir() + '/definitely-missing' })).toBeNull();
  });
});

describe('config validation errors name the key and the fix', () => {
  it.each([
    [
      { governance: { financial_threshold: 'lots' } },
      {},
      'governance.financial_threshold',
      /expected number/,
    ],
    [{ governance: { explainability_threshold: 2 } }, {}, 'governance.explainability_threshold', /<=1/],
    [{ broker: { transport: 'kafka' } }, {}, 'broker.transport', /memory.*redis/],
    [{ server: { prot: 1 } }, {}, 'server.prot', /unknown key/],
    [
      {},
      { MIRA_SHUTDOWN__TIMEOUT_MS: 'soon' },
      'shutdown.timeout_ms',
      /set by env MIRA_SHUTDOWN__TIMEOUT_MS/,
    ],
    [{}, { PORT: '70000' }, 'server.port', /set by env PORT/],
  ])('%j %j -> %s', (overrides, env, path, reason) => {
    const err = thrownBy(ConfigError, () => loadConfig({ file: null, overrides, env }));
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.path).toBe(path);
    expect(err.message).toContain(`Invalid configuration: ${path}`);
    expect(err.message).toMatch(reason);
    expect(err.message).not.toContain('\n');
  });

  it('reports unreadable and unparsable files', () => {
    expect(thrownBy(ConfigError, () => loadConfig({ file: '/nope/mira.yaml', env: {} })).code).toBe(
      'CONFIG_FILE_UNREADABLE',
    );
    expect(
      thrownBy(ConfigError, () => loadConfig({ file: tempFile('bad.yaml', 'a: [1,\n'), env: {} })).code,
    ).toBe('CONFIG_FILE_UNPARSABLE');
    expect(
      thrownBy(ConfigError, () => loadConfig({ file: tempFile('bad.json', '{"a":'), env: {} })).message,
    ).toContain('not valid JSON');
    expect(
      thrownBy(ConfigError, () => loadConfig({ file: tempFile('list.yaml', '- 1\n- 2\n'), env: {} })).message,
    ).toContain('mapping');
  });
});

describe('ConfigStore', () => {
  it('swaps snapshots atomically and emits typed changes to prefix listeners', () => {
    const store = new ConfigStore(loadConfig({ file: null, env: {} }));
    const all: string[][] = [];
    const gov: string[][] = [];
    store.onChange((e) => all.push(e.changes.map((c) => c.path)));
    const off = store.onChange(
      (e) => gov.push(e.changes.map((c) => `${c.path}:${String(c.previous)}->${String(c.current)}`)),
      'governance',
    );
    store.onChange(() => {
      throw new Error('a broken listener must not stop the others');
    });
    const before = store.current;
    const changes = store.replace(
      loadConfig({
        file: null,
        env: {},
        overrides: { governance: { financial_threshold: 1 }, logging: { level: 'debug' } },
      }),
    );
    expect(changes.map((c) => c.path).sort()).toEqual(['governance.financial_threshold', 'logging.level']);
    expect(before.governance.financial_threshold).toBe(10000);
    expect(store.get('governance').financial_threshold).toBe(1);
    expect(gov).toEqual([['governance.financial_threshold:10000->1']]);
    expect(all).toHaveLength(1);
    off();
    store.replace(loadConfig({ file: null, env: {}, overrides: { governance: { financial_threshold: 2 } } }));
    expect(gov).toHaveLength(1);
    expect(all).toHaveLength(2);
  });

  it('a re-resolved snapshot (secret rotation) emits changes but neither counts as a reload nor hides a failure', () => {
    const store = new ConfigStore(
      loadConfig({ file: null, env: {}, overrides: { webhooks: { github: { secret: 'old' } } } }),
    );
    store.markFailed('Invalid configuration: server.port: too big');
    const seen: string[] = [];
    store.onChange((e) => seen.push(...e.changes.map((c) => c.path)));
    store.replace(
      loadConfig({ file: null, env: {}, overrides: { webhooks: { github: { secret: 'rotated' } } } }),
      { source: 'resolved' },
    );
    expect(seen).toContain('webhooks.github.secret');
    expect(store.status()).toMatchObject({ status: 'degraded', reloads: { ok: 0, failed: 1 } });
  });

  it('records failures as degraded and recovers on the next good swap', () => {
    const store = new ConfigStore(loadConfig({ file: null, env: {} }));
    store.markFailed('Invalid configuration: governance.financial_threshold: expected number');
    expect(store.status()).toMatchObject({ status: 'degraded', reloads: { ok: 0, failed: 1 } });
    store.replace(loadConfig({ file: null, env: {} }));
    expect(store.status()).toMatchObject({ status: 'healthy', reason: null, reloads: { ok: 1, failed: 1 } });
  });
});
