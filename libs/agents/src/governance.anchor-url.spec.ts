import { ConfigError, loadConfig } from '@mira/config';
import './agents.config';

const load = (audit: Record<string, unknown>) =>
  loadConfig({ file: null, env: {}, overrides: { governance: { audit } as never } });

describe('governance.audit.anchor_webhook at config load', () => {
  const nodeEnv = process.env.NODE_ENV;
  afterEach(() => {
    process.env.NODE_ENV = nodeEnv;
  });

  it('refuses a host outside anchor_allowed_hosts, credentials and non-http schemes, naming the key', () => {
    const refused = (audit: Record<string, unknown>) => {
      try {
        load(audit);
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        expect((err as ConfigError).path).toBe('governance.audit.anchor_webhook');
        return (err as Error).message;
      }
      throw new Error('accepted');
    };
    expect(
      refused({ anchor_webhook: 'http://169.254.169.254/latest', anchor_allowed_hosts: ['*.example.com'] }),
    ).toMatch(/anchor_webhook host 169\.254\.169\.254 is not in governance\.audit\.anchor_allowed_hosts/);
    const withCredentials = refused({ anchor_webhook: 'https://user:s3cr3t-pass@anchor.example.com/a' });
    expect(withCredentials).toMatch(/must not carry credentials/);
    expect(withCredentials).not.toContain('s3cr3t-pass');
    expect(refused({ anchor_webhook: 'ftp://anchor.example.com/a' })).toMatch(/must be an http\(s\) URL/);
    const ok = load({ anchor_webhook: 'https://a.example.com/h', anchor_allowed_hosts: ['*.example.com'] });
    expect(ok.config.governance.audit.anchor_webhook).toBe('https://a.example.com/h');
  });

  it("requires https when the config loader's environment says NODE_ENV=production (not process.env)", () => {
    const loadIn = (env: NodeJS.ProcessEnv, audit: Record<string, unknown>) =>
      loadConfig({ file: null, env, overrides: { governance: { audit } as never } });
    process.env.NODE_ENV = 'test';
    expect(() =>
      loadIn(
        { NODE_ENV: 'production' },
        { key: 'x'.repeat(40), anchor_webhook: 'http://anchor.example.com/a' },
      ),
    ).toThrow(/anchor_webhook must be https when NODE_ENV=production/);
    expect(
      loadIn(
        { NODE_ENV: 'production' },
        { key: 'x'.repeat(40), anchor_webhook: 'https://anchor.example.com/a' },
      ).config.governance.audit.anchor_webhook,
    ).toBe('https://anchor.example.com/a');
    // The process's own NODE_ENV does not decide for a loader given another environment.
    process.env.NODE_ENV = 'production';
    expect(load({ anchor_webhook: 'http://127.0.0.1:9/a' }).config.governance.audit.anchor_webhook).toBe(
      'http://127.0.0.1:9/a',
    );
  });
});
