import { ConfigError } from './config.error';
import { loadConfig, validateConfig } from './config.loader';

describe('cross-field rules', () => {
  it('broker.transport redis with state.backend sqlite is refused with one line saying what to set', () => {
    let error: unknown;
    try {
      loadConfig({ file: null, env: { MIRA_BROKER__TRANSPORT: 'redis' } });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const e = error as ConfigError;
    expect(e.code).toBe('CONFIG_INVALID');
    expect(e.path).toBe('state.backend');
    expect(e.message.split('\n')).toHaveLength(1);
    expect(e.message).toBe(
      'Invalid configuration: state.backend is sqlite while broker.transport is redis: approvals stored on one ' +
        'replica would be invisible to the others; set state.backend: postgres (MIRA_STATE__BACKEND=postgres) and state.postgres.url',
    );
  });

  it('redis with postgres, and memory with sqlite, are valid', () => {
    expect(
      validateConfig({
        broker: { transport: 'redis' },
        state: { backend: 'postgres', postgres: { url: 'postgres://h/db' } },
      }).state.backend,
    ).toBe('postgres');
    expect(validateConfig({}).state).toEqual({
      backend: 'sqlite',
      sqlite: { path: 'data/mira.db' },
      postgres: { url: null, pool_max: 10, statement_timeout_ms: 5000, connect_timeout_ms: 5000 },
    });
  });
});
