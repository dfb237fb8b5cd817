import { REDACTED_VALUE, redactFrame } from './config.redact';

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
