import { setTimeout as sleep } from 'node:timers/promises';
import { SecretsError } from '../secrets.error';
import type { CircuitState } from '../secrets.interface';
import { SecretsCircuitBreaker } from './secrets.breaker';

const options = (overrides: Record<string, unknown> = {}) => ({
  enabled: true,
  timeout: 5,
  error_threshold_percentage: 50,
  volume_threshold: 3,
  reset_timeout: 0.05,
  ...overrides,
});
const down = () => new SecretsError('SECRETS_BACKEND_UNAVAILABLE', 'down', { transient: true, status: 503 });
const notFound = () => Object.assign(new Error('not found'), { response: { statusCode: 404 } });

describe('SecretsCircuitBreaker', () => {
  it('opens after volume_threshold transient failures, fails fast, half-opens after reset_timeout and closes on success', async () => {
    const states: CircuitState[] = [];
    const breaker = new SecretsCircuitBreaker('vault', options(), (s) => void states.push(s));
    let calls = 0;
    const failing = async () => {
      calls++;
      throw down();
    };
    for (let i = 0; i < 3; i++)
      await expect(breaker.call(failing)).rejects.toMatchObject({ code: 'SECRETS_BACKEND_UNAVAILABLE' });
    expect(breaker.state).toBe('open');
    expect(states).toEqual(['open']);

    const open = await breaker.call(failing).catch((err: unknown) => err);
    expect(open).toMatchObject({ code: 'SECRETS_CIRCUIT_OPEN', transient: false });
    expect((open as Error).message).toContain('vault secrets backend circuit is open');
    expect(calls).toBe(3);

    await sleep(80);
    await expect(breaker.call(async () => 'probe-ok')).resolves.toBe('probe-ok');
    expect(states).toEqual(['open', 'half_open', 'closed']);
    expect(breaker.state).toBe('closed');
  });

  it('a failed half-open probe opens the circuit again', async () => {
    const breaker = new SecretsCircuitBreaker('kubernetes', options());
    for (let i = 0; i < 3; i++) await breaker.call(async () => Promise.reject(down())).catch(() => undefined);
    await sleep(80);
    await expect(breaker.call(async () => Promise.reject(down()))).rejects.toMatchObject({ transient: true });
    expect(breaker.state).toBe('open');
  });

  it('not-found and access-denied answers pass through unchanged and never open the circuit', async () => {
    const breaker = new SecretsCircuitBreaker('vault', options());
    for (let i = 0; i < 10; i++) {
      const err = notFound();
      await expect(breaker.call(async () => Promise.reject(err))).rejects.toBe(err);
    }
    expect(breaker.state).toBe('closed');
  });

  it('stays closed below the error percentage', async () => {
    const breaker = new SecretsCircuitBreaker('vault', options({ error_threshold_percentage: 60 }));
    for (let i = 0; i < 6; i++) {
      const fail = i % 2 === 1;
      await breaker.call(async () => (fail ? Promise.reject(down()) : 'ok')).catch(() => undefined);
    }
    expect(breaker.state).toBe('closed');
  });

  it('a call slower than the timeout fails as a transient SECRETS_BACKEND_UNAVAILABLE', async () => {
    const breaker = new SecretsCircuitBreaker('vault', options({ timeout: 0.02 }));
    const err = await breaker.call(() => sleep(1000, 'late')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SecretsError);
    expect(err).toMatchObject({ code: 'SECRETS_BACKEND_UNAVAILABLE', transient: true });
    expect((err as Error).message).toBe('The vault secrets backend timed out');
  });

  it('disabled: calls run as they are and the state stays closed', async () => {
    const breaker = new SecretsCircuitBreaker('vault', options({ enabled: false }));
    for (let i = 0; i < 5; i++) await breaker.call(async () => Promise.reject(down())).catch(() => undefined);
    expect(breaker.state).toBe('closed');
    await expect(breaker.call(async () => 'value')).resolves.toBe('value');
  });
});
