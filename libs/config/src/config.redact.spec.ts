import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from './config.error';
import { explainConfig } from './config.explain';
import { loadConfig } from './config.loader';
import {
  REDACTED_VALUE,
  isCredentialValue,
  maskCredentialUrl,
  maskCredentialUrls,
  redactFrame,
} from './config.redact';

describe('redactFrame (YAML flow style)', () => {
  it('masks a frame line whose flow mapping or sequence holds a secret-looking key', () => {
    const frame = [
      'Invalid config at api.keys',
      'api:',
      '  keys: [{ name: sam, key: sam-secret-123456, roles: [admin] }]',
      '  db: { host: db, password: hunter2-secret }',
      '  limits: { max: 5, burst: [1, 2] }',
      '  ^',
    ].join('\n');
    const out = redactFrame(frame, undefined);
    expect(out).not.toContain('sam-secret-123456');
    expect(out).not.toContain('hunter2-secret');
    expect(out).toContain(REDACTED_VALUE);
    // No secret key inside: the line stays readable.
    expect(out).toContain('limits: { max: 5, burst: [1, 2] }');
  });
});

describe('credential URLs', () => {
  const SLACK = 'https://hooks.slack.com/services/T000/B000/slack-secret-XXXXXXXX';

  it('keeps scheme, host and path prefix and masks user info, credential parameters and hook paths', () => {
    expect(maskCredentialUrl(SLACK)).toBe(`https://hooks.slack.com/services/${REDACTED_VALUE}`);
    expect(maskCredentialUrl('postgres://mira:pw-secret-1@db:5432/mira?sslmode=require')).toBe(
      `postgres://${REDACTED_VALUE}@db:5432/mira?sslmode=require`,
    );
    expect(maskCredentialUrl('https://ops:tok-secret@h.example.com/x')).toBe(
      `https://${REDACTED_VALUE}@h.example.com/x`,
    );
    expect(
      maskCredentialUrl('https://h.example.com/hook?id=7&token=t-secret&sig=s-secret&Password=p&api_key=k'),
    ).toBe(
      `https://h.example.com/hook?id=7&token=${REDACTED_VALUE}&sig=${REDACTED_VALUE}&Password=${REDACTED_VALUE}&api_key=${REDACTED_VALUE}`,
    );
    expect(maskCredentialUrl('https://h.example.com/a/b?page=2')).toBe('https://h.example.com/a/b?page=2');
    expect(isCredentialValue(SLACK)).toBe(true);
    expect(isCredentialValue('https://h.example.com/a?key=abc')).toBe(true);
    expect(isCredentialValue('https://h.example.com/a?page=1')).toBe(false);
    expect(maskCredentialUrls(`posting to ${SLACK} failed; see "https://x.example.com/?secret=zz"`)).toBe(
      `posting to https://hooks.slack.com/services/${REDACTED_VALUE} failed; see "https://x.example.com/?secret=${REDACTED_VALUE}"`,
    );
  });

  it('are masked by config print (explainConfig), in config errors, and their env values quoted in errors', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mira-redact-'));
    const file = join(dir, 'mira.yaml');
    writeFileSync(
      file,
      `governance:\n  audit:\n    anchor_webhook: "https://anchor.example.com/h?token=tok-secret-1"\n` +
        `deliveries:\n  destinations:\n    ops:\n      kind: slack\n      url: "${SLACK}"\n`,
    );
    for (const effective of [false, true]) {
      const printed = JSON.stringify(explainConfig({ file, env: {} }, { effective }));
      expect(printed).not.toContain('tok-secret-1');
      expect(printed).not.toContain('slack-secret');
      expect(printed).toContain(`https://hooks.slack.com/services/${REDACTED_VALUE}`);
      expect(printed).toContain(`https://anchor.example.com/h?token=${REDACTED_VALUE}`);
    }
    // A bad value from the environment is quoted back masked, never whole.
    let message = '';
    try {
      loadConfig({
        file: null,
        env: { MIRA_GOVERNANCE__AUDIT__ANCHOR_WEBHOOK: 'https://u:pw-secret-9@anchor.example.com/h?sig=x1' },
        overrides: { governance: { audit: { anchor_allowed_hosts: ['other.example.com'] } } as never },
      });
    } catch (err) {
      message = `${(err as Error).message} ${(err as ConfigError).issues.join(' ')}`;
    }
    expect(message).toMatch(/anchor_webhook/);
    expect(message).not.toContain('pw-secret-9');
    expect(new ConfigError('CONFIG_INVALID', `bad ${SLACK}`, 'x', [`x: ${SLACK}`]).message).toBe(
      `bad https://hooks.slack.com/services/${REDACTED_VALUE}`,
    );
  });
});
