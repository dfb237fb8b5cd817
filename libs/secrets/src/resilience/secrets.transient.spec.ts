import { SecretsError } from '../secrets.error';
import { isTransient, statusOf } from './secrets.transient';

describe('isTransient', () => {
  it('classifies transient errors', () => {
    expect(isTransient({ response: { statusCode: 503 } })).toBe(true);
    expect(isTransient({ response: { statusCode: 429 } })).toBe(true);
    expect(isTransient({ response: { statusCode: 403 } })).toBe(false);
    expect(isTransient({ code: 404 })).toBe(false);
    expect(isTransient({ code: 'ECONNREFUSED' })).toBe(true);
    expect(isTransient({ code: 'EOPENBREAKER' })).toBe(false);
  });

  it('trusts SecretsError.transient, a network code on the cause, and undici fetch failures', () => {
    expect(isTransient(new SecretsError('SECRETS_CIRCUIT_OPEN', 'open', { transient: false }))).toBe(false);
    expect(isTransient(new SecretsError('SECRETS_BACKEND_UNAVAILABLE', 'x', { transient: true }))).toBe(true);
    expect(isTransient({ cause: { code: 'UND_ERR_SOCKET' } })).toBe(true);
    expect(isTransient(new TypeError('fetch failed'))).toBe(true);
    expect(isTransient(new TypeError('undefined is not a function'))).toBe(false);
    expect(statusOf({ statusCode: 404 })).toBe(404);
    expect(statusOf({ code: 'ENOENT' })).toBeUndefined();
  });
});
