import { SecretsError } from '../../secrets.error';
import { briefly, vaultError } from './vault.errors';

describe('Vault error helpers', () => {
  it('briefly: the status and the first 200 characters of the message, or a SecretsError code', () => {
    expect(briefly(Object.assign(new Error('permission denied'), { response: { statusCode: 403 } }))).toBe(
      '403: permission denied',
    );
    expect(briefly(Object.assign(new Error('connect refused'), { code: 'ECONNREFUSED' }))).toBe(
      'ECONNREFUSED: connect refused',
    );
    expect(briefly(new Error('x'.repeat(500)))).toHaveLength(200);
    expect(briefly(new SecretsError('SECRETS_AUTH_FAILED', 'no token'))).toBe(
      'SECRETS_AUTH_FAILED: no token',
    );
  });

  it('vaultError: transient for 5xx and network errors, not for 4xx; SecretsErrors pass unchanged', () => {
    const unavailable = vaultError(
      Object.assign(new Error('sealed'), { response: { statusCode: 503 } }),
      'reading secret://a:b',
    );
    expect(unavailable).toMatchObject({ code: 'SECRETS_BACKEND_UNAVAILABLE', transient: true, status: 503 });
    expect(unavailable.message).toBe('Vault reading secret://a:b failed: 503: sealed');
    expect(
      vaultError(Object.assign(new Error('bad'), { response: { statusCode: 400 } }), 'x').transient,
    ).toBe(false);
    const own = new SecretsError('SECRET_ACCESS_DENIED', 'denied');
    expect(vaultError(own, 'x')).toBe(own);
  });
});
