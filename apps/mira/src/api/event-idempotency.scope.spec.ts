import { eventIdempotencyScope } from './event-idempotency.scope';

describe('eventIdempotencyScope', () => {
  it('keeps callers apart whose parts joined with ":" were the same string', () => {
    // Joined with ':' both were "ops:t:deploy:k" (identities such as key:<name> contain ':').
    const a = eventIdempotencyScope('ops:t', 'deploy', 'k');
    const b = eventIdempotencyScope('ops', 't', 'deploy:k');
    const c = eventIdempotencyScope('ops', 't:deploy', 'k');
    expect(new Set([a, b, c]).size).toBe(3);
  });

  it('is stable for the same caller, type and key, and differs by each part', () => {
    const base = eventIdempotencyScope('key:ci', 'deploy.done', 'abc');
    expect(eventIdempotencyScope('key:ci', 'deploy.done', 'abc')).toBe(base);
    expect(base).toMatch(/^event:[0-9a-f]{64}$/);
    expect(eventIdempotencyScope('key:cd', 'deploy.done', 'abc')).not.toBe(base);
    expect(eventIdempotencyScope('key:ci', 'deploy.started', 'abc')).not.toBe(base);
    expect(eventIdempotencyScope('key:ci', 'deploy.done', 'abd')).not.toBe(base);
  });
});
