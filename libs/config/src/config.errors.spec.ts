import { tempFile as tempFileIn, thrownBy } from '../../../apps/mira/test/support/spec-helpers';
import { ConfigError } from './config.error';
import { loadConfig } from './config.loader';
import { redactFrame } from './config.redact';
import { closestKey, editDistance } from './config.suggest';

// Config errors that say what to change: did-you-mean, values quoted back, frames kept.

const tempFile = (name: string, text: string) => tempFileIn(name, text, 'mira-errors-');
const loadError = (file: string | null, env: Record<string, string> = {}) =>
  thrownBy(ConfigError, () => loadConfig({ file, env }));

describe('config errors with the fix', () => {
  it('suggests the closest known key, nested and top level, and names the file for a top-level one', () => {
    const file = tempFile('typo.yaml', 'governance:\n  financial_treshold: 5000\nloging:\n  level: debug\n');
    const err = loadError(file);
    expect(err.issues).toEqual([
      `governance.financial_treshold: unknown key, did you mean governance.financial_threshold? (allowed keys are listed in docs/configuration.md) (set by file ${file})`,
      `loging: unknown key, did you mean logging? (allowed keys are listed in docs/configuration.md) (set by file ${file})`,
    ]);
  });

  it('suggests nothing for a key far from every known one', () => {
    const err = loadError(tempFile('far.yaml', 'server:\n  zzzzzzzz: 1\n'));
    expect(err.issues[0]).toMatch(/^server\.zzzzzzzz: unknown key \(allowed keys/);
  });

  it('quotes a wrong-typed environment value back, unless its key looks secret', () => {
    const err = loadError(null, { PORT: 'eighty', MIRA_SHUTDOWN__TIMEOUT_MS: '5s' });
    expect(err.issues).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^server\.port: .* \(received "eighty"\) \(set by env PORT\)$/),
        expect.stringMatching(
          /^shutdown\.timeout_ms: .* \(received "5s"\) \(set by env MIRA_SHUTDOWN__TIMEOUT_MS\)$/,
        ),
      ]),
    );
    // A URL carrying a credential is quoted with the credential masked (scheme, host, path stay).
    const secret = loadError(null, { PORT: 'postgres://u:hunter2@h' });
    expect(secret.issues).toEqual([
      expect.stringMatching(
        /^server\.port: .* \(received "postgres:\/\/\[redacted\]@h"\) \(set by env PORT\)$/,
      ),
    ]);
    expect(secret.message).not.toContain('hunter2');
    const hook = loadError(null, { PORT: 'https://hooks.slack.com/services/T1/B2/hook-secret-7' });
    expect(hook.issues[0]).toContain('(received "https://hooks.slack.com/services/[redacted]")');
    expect(hook.message).not.toContain('hook-secret-7');
  });

  it('keeps the YAML frame, masking only the values of secret-looking keys', () => {
    const file = tempFile(
      'frame.yaml',
      'server:\n  host: 0.0.0.0\napi:\n  keys:\n    - k-prod-9f8e\n  token: abc123secret\n   port: [1\n',
    );
    const err = loadError(file);
    expect(err.code).toBe('CONFIG_FILE_UNPARSABLE');
    expect(err.message).toMatch(/line \d+, column \d+/);
    expect(err.message).toContain('token: [redacted]');
    expect(err.message).not.toContain('abc123secret');
    const host = loadError(tempFile('host.yaml', 'server:\n  host: 0.0.0.0\n  port: 3000\n port: 4\n'));
    expect(host.message).toContain('\n  port: 3000\n port: 4\n^');
  });

  it('masks list items under a secret-looking key and URLs carrying a password', () => {
    const source =
      'api:\n  keys:\n    - k-prod-9f8e\nstate:\n  postgres:\n    url: postgres://mira:pw1@db/mira\n';
    const frame = `Bad at line 3:\n\n    - k-prod-9f8e\n    ^\n    url: postgres://mira:pw1@db/mira\n  keys:`;
    expect(redactFrame(frame, source)).toBe(
      'Bad at line 3:\n\n    - [redacted]\n    ^\n    url: [redacted]\n  keys:',
    );
  });

  it('measures edit distance with transpositions', () => {
    expect(editDistance('treshold', 'threshold')).toBe(1);
    expect(editDistance('loging', 'logging')).toBe(1);
    expect(editDistance('hsot', 'host')).toBe(1);
    expect(closestKey('prot', ['port', 'host'])).toBe('port');
    expect(closestKey('x', ['port'])).toBeNull();
  });
});
