import { tempFile as tempFileIn, thrownBy } from '../../../apps/mira/test/support/spec-helpers';
import { applyCompat } from './config.compat';
import { ConfigError } from './config.error';
import { loadConfig, MAX_LISTED_ISSUES } from './config.loader';

const tempFile = (name: string, text: string) => tempFileIn(name, text, 'mira-compat-');

const loadError = (file: string | null, env: Record<string, string> = {}) =>
  thrownBy(ConfigError, () => loadConfig({ file, env }));

describe('config compatibility with the reference implementation', () => {
  it('accepts logging.json_format as an alias of logging.json, without a warning', () => {
    const loaded = loadConfig({ file: tempFile('a.yaml', 'logging:\n  json_format: false\n'), env: {} });
    expect(loaded.config.logging.json).toBe(false);
    expect(loaded.deprecations).toBeUndefined();
  });

  it('maps each reference key onto the new one with one warning naming it', () => {
    const file = tempFile(
      'ref.json',
      JSON.stringify({
        broker: { enabled: true },
        webhook: { host: '127.0.0.2', port: 8081, secret_key: 's3' },
        logging: { level: 'WARNING', format: 'text' },
        agents: { orchestrator_agent: { enabled: true } },
      }),
    );
    const { config, deprecations } = loadConfig({ file, env: {} });
    expect(config.server).toMatchObject({ host: '127.0.0.2', port: 8081 });
    expect(config.webhooks.default.secret).toBe('s3');
    expect(config.logging).toMatchObject({ level: 'warn', json: false });
    expect(config.agents).not.toHaveProperty('orchestrator_agent');
    expect(config).not.toHaveProperty('webhook');
    expect(deprecations).toEqual([
      `logging.format in file ${file} is deprecated; use logging.json (env MIRA_LOGGING__JSON)`,
      `webhook.secret_key in file ${file} is deprecated; use webhooks.default.secret (env MIRA_WEBHOOKS__DEFAULT__SECRET)`,
      `webhook.host in file ${file} is deprecated; use server.host (env MIRA_SERVER__HOST)`,
      `webhook.port in file ${file} is deprecated; use server.port (env MIRA_SERVER__PORT)`,
      `broker.enabled in file ${file} is deprecated and ignored; use broker.transport (the broker is always on: memory or redis)`,
      `agents.orchestrator_agent in file ${file} is deprecated and ignored; use agents.<agent_id>.enabled (the orchestrator always routes)`,
    ]);
  });

  it('lets the new key win over its old spelling in the same layer, and leaves the input untouched', () => {
    const layer = { logging: { json: true, format: 'text' } };
    const { tree } = applyCompat(layer, (p) => p);
    expect(tree).toEqual({ logging: { json: true } });
    expect(layer).toEqual({ logging: { json: true, format: 'text' } });
  });

  it('keeps an unknown leftover of an old section for validation to name', () => {
    const err = loadError(tempFile('w.yaml', 'webhook:\n  secret_key: s\n  colour: red\n'));
    expect(err.message).toContain('webhook: unknown key');
  });

  it('reads MIRA_WEBHOOK_SECRET and MIRA_LOGGING__JSON_FORMAT, attributing errors to the variable', () => {
    const loaded = loadConfig({ file: null, env: { MIRA_WEBHOOK_SECRET: 'w', MIRA_LOG_LEVEL: 'DEBUG' } });
    expect(loaded.config.webhooks.default.secret).toBe('w');
    expect(loaded.config.logging.level).toBe('debug');
    expect(loaded.deprecations).toEqual([
      'env MIRA_WEBHOOK_SECRET is deprecated; use webhooks.default.secret (env MIRA_WEBHOOKS__DEFAULT__SECRET)',
    ]);
    const err = loadError(null, { MIRA_LOGGING__JSON_FORMAT: 'maybe' });
    expect(err.message).toMatch(/logging\.json: .*\(set by env MIRA_LOGGING__JSON_FORMAT\)/);
  });

  it('accepts integrations.<name>.<key> as free-form settings', () => {
    const file = tempFile('i.yaml', 'integrations:\n  jira:\n    url: https://x\n    max_results: 50\n');
    expect(
      loadConfig({ file, env: { MIRA_INTEGRATIONS__JIRA__PROJECT: 'OPS' } }).config.integrations,
    ).toEqual({
      jira: { url: 'https://x', max_results: 50, project: 'OPS' },
    });
  });
});

describe('config errors list every problem with its source', () => {
  it('names the file for file values and the variable for env values, all at once', () => {
    const file = tempFile(
      'm.yaml',
      'governance:\n  financial_threshold: lots\nbroker:\n  transport: kafka\n',
    );
    const err = loadError(file, { MIRA_SHUTDOWN__TIMEOUT_MS: 'soon', PORT: '99999' });
    expect(err.issues).toHaveLength(4);
    expect(err.message.split('\n')[0]).toBe('Invalid configuration (4 problems):');
    expect(err.issues).toEqual(
      expect.arrayContaining([
        expect.stringMatching(new RegExp(`^governance\\.financial_threshold: .*\\(set by file ${file}\\)$`)),
        expect.stringMatching(new RegExp(`^broker\\.transport: .*\\(set by file ${file}\\)$`)),
        expect.stringMatching(/^shutdown\.timeout_ms: .*\(set by env MIRA_SHUTDOWN__TIMEOUT_MS\)$/),
        expect.stringMatching(/^server\.port: .*\(set by env PORT\)$/),
      ]),
    );
    expect(err.path).toBeDefined();
  });

  it('lists each unknown key on its own line', () => {
    const err = loadError(tempFile('u.yaml', 'server:\n  colour: red\n  flavour: lime\n'));
    expect(err.issues).toEqual([
      expect.stringMatching(/^server\.colour: unknown key .*\(set by file /),
      expect.stringMatching(/^server\.flavour: unknown key .*\(set by file /),
    ]);
  });

  it(`lists at most ${MAX_LISTED_ISSUES} problems and says how many more`, () => {
    const keys = Array.from({ length: 25 }, (_, i) => `  k${i}: 1`).join('\n');
    const err = loadError(tempFile('many.yaml', `server:\n${keys}\n`));
    expect(err.issues).toHaveLength(MAX_LISTED_ISSUES);
    expect(err.message).toContain('... and 5 more');
  });

  it('keeps the YAML code frame with the values of secret-looking keys masked', () => {
    const err = loadError(tempFile('bad.yaml', 'api:\n  token: abc123secret\n  keys: [k-prod-9f8e\n'));
    expect(err.code).toBe('CONFIG_FILE_UNPARSABLE');
    expect(err.message).toMatch(/line \d+, column \d+/);
    expect(err.message).toContain('keys: [redacted]');
    expect(err.message).not.toContain('abc123secret');
    expect(err.message).not.toContain('k-prod-9f8e');
  });

  it('reports a JSON syntax error without quoting the text around it (its position when V8 gives one)', () => {
    const err = loadError(tempFile('bad.json', '{\n  "webhook": { "secret_key": topsecretvalue }\n}\n'));
    expect(err.code).toBe('CONFIG_FILE_UNPARSABLE');
    expect(err.message).toMatch(/is not valid JSON: a syntax error/);
    expect(err.message).not.toContain('topsecret');
  });
});
