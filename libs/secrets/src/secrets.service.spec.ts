import { miraConfigSchema } from '@mira/config';
import { SecretNotFoundError, SecretsError } from './secrets.error';
import type { SecretsBackend, SecretsModuleOptions } from './secrets.interface';
import { parseSecretReference, findReferences } from './secrets.reference';
import { SecretsService } from './secrets.service';
import { EnvSecretsBackend } from './backends/env.backend';

function options(secrets: Record<string, unknown> = {}): SecretsModuleOptions {
  return miraConfigSchema.parse({ secrets: { retry: { delay: 0.001 }, ...secrets } }).secrets;
}

/** A backend whose answers the test controls; counts reads. */
class FakeBackend implements SecretsBackend {
  calls = 0;
  values = new Map<string, string>();
  failWith: unknown = null;
  gate: Promise<void> | null = null;
  async read(name: string, key: string | undefined) {
    this.calls++;
    if (this.gate) await this.gate;
    if (this.failWith) throw this.failWith;
    return this.values.get(`${name}:${key}`);
  }
}

async function service(secrets: Record<string, unknown> = {}, backend = new FakeBackend()) {
  const svc = new SecretsService({ ...options(secrets), backend: 'fake' }, {});
  svc.registerBackend('fake', backend);
  await svc.start();
  return { svc, backend };
}

const transient = () =>
  new SecretsError('SECRETS_BACKEND_UNAVAILABLE', 'down', { transient: true, status: 503 });

describe('SecretsService', () => {
  it('coalesces 1000 concurrent gets of a cold secret into one backend read', async () => {
    const { svc, backend } = await service();
    backend.values.set('db:password', 's3cr3t-value');
    let open!: () => void;
    backend.gate = new Promise((r) => (open = r));
    const all = Promise.all(Array.from({ length: 1000 }, () => svc.get('db', 'password')));
    open();
    expect(new Set(await all)).toEqual(new Set(['s3cr3t-value']));
    expect(backend.calls).toBe(1);
    await svc.get('db', 'password');
    expect(backend.calls).toBe(1);
  });

  it('throws SecretNotFoundError without a default and returns the default with one', async () => {
    const { svc } = await service();
    await expect(svc.get('nope', 'k')).rejects.toBeInstanceOf(SecretNotFoundError);
    await expect(svc.get('nope', 'k')).rejects.toThrow('secret://nope:k');
    await expect(svc.get('nope', 'k', { default: 'fallback' })).resolves.toBe('fallback');
  });

  it('keeps a secret deleted at the source as stale (named, no value), and re-reads it when it returns', async () => {
    const { svc, backend } = await service({ cache_ttl: 0 });
    const rotated: string[] = [];
    svc.onRotate((n, k) => void rotated.push(`${n}:${k}`));
    backend.values.set('api:key', 'value-one');
    await expect(svc.get('api', 'key')).resolves.toBe('value-one');

    backend.values.delete('api:key');
    await svc.refreshName('api');
    await expect(svc.get('api', 'key')).resolves.toBe('value-one');
    // Let the background re-read that a stale get starts finish (it finds the secret still gone).
    await new Promise((r) => setImmediate(r));
    const stats = svc.stats();
    expect(stats.stale).toBe(1);
    expect(stats.staleSecrets).toEqual([
      { ref: 'secret://api:key', reason: 'not found in the fake backend (deleted?)' },
    ]);
    expect(JSON.stringify(stats)).not.toContain('value-one');

    // Re-created with a new value: the watcher's notification re-reads it (it was not forgotten).
    backend.values.set('api:key', 'value-two');
    await svc.refreshName('api');
    await expect(svc.get('api', 'key')).resolves.toBe('value-two');
    expect(rotated).toEqual(['api:key']);
    expect(svc.stats()).toMatchObject({ stale: 0, staleSecrets: [] });
  });

  it('retries transient failures and never 403/404-like ones', async () => {
    const { svc, backend } = await service({ retry: { max_retries: 3, delay: 0.001 } });
    backend.values.set('a:b', 'value-ab');
    let failures = 2;
    const read = backend.read.bind(backend);
    backend.read = async (n, k) => {
      if (failures-- > 0) {
        backend.calls++;
        throw transient();
      }
      return read(n, k);
    };
    await expect(svc.get('a', 'b')).resolves.toBe('value-ab');
    expect(backend.calls).toBe(3);

    const denied = await service({ retry: { max_retries: 3, delay: 0.001 } });
    denied.backend.failWith = new SecretsError('SECRET_ACCESS_DENIED', 'no', { status: 403 });
    await expect(denied.svc.get('x', 'y')).rejects.toThrow('no');
    expect(denied.backend.calls).toBe(1);
  });

  it('serves the last good value on backend errors and reports its age', async () => {
    const { svc, backend } = await service({ cache_ttl: 0 });
    backend.values.set('db:password', 'good-value');
    await expect(svc.get('db', 'password')).resolves.toBe('good-value');
    backend.failWith = transient();
    await expect(svc.get('db', 'password')).resolves.toBe('good-value');
    const stats = svc.stats();
    expect(stats.stale).toBe(1);
    expect(stats.oldestStaleAgeSeconds).toBeGreaterThanOrEqual(0);
    backend.failWith = null;
    await svc.refreshAll();
    expect(svc.stats().stale).toBe(0);
  });

  it('fires onRotate on a changed value; a failing subscriber does not stop the others', async () => {
    const { svc, backend } = await service();
    backend.values.set('api:key', 'first-value');
    await svc.get('api', 'key');
    const seen: string[] = [];
    svc.onRotate(() => {
      throw new Error('subscriber bug');
    });
    svc.onRotate(async () => Promise.reject(new Error('async bug')));
    svc.onRotate((name, key) => void seen.push(`${name}:${key}`));
    await svc.refreshAll();
    expect(seen).toEqual([]);
    backend.values.set('api:key', 'second-value');
    await svc.refreshAll();
    expect(seen).toEqual(['api:key']);
    await expect(svc.get('api', 'key')).resolves.toBe('second-value');
  });

  it('registers every resolved value with the redaction sink', async () => {
    const registered: string[] = [];
    const svc = new SecretsService({ ...options(), backend: 'fake' }, {}, undefined, {
      register: (v) => void registered.push(v),
    });
    const backend = new FakeBackend();
    backend.values.set('a:b', 'registered-value');
    svc.registerBackend('fake', backend);
    await svc.start();
    await svc.get('a', 'b');
    expect(registered).toEqual(['registered-value']);
  });

  it('names unknown backends and the known ones', async () => {
    const svc = new SecretsService({ ...options(), backend: 'nope' }, {});
    svc.registerBackend('env', new EnvSecretsBackend());
    await expect(svc.start()).rejects.toThrow(/"nope".*known: env/);
  });
});

describe('env backend', () => {
  it('reads <NAME>_<KEY>, else <name>', async () => {
    const svc = new SecretsService(options(), { DB_PASSWORD: 'pw-1234', token: 'tok-5678' });
    svc.registerBackend('env', new EnvSecretsBackend());
    await svc.start();
    await expect(svc.get('db', 'password')).resolves.toBe('pw-1234');
    await expect(svc.get('token', 'ignored')).resolves.toBe('tok-5678');
    await expect(svc.get('token')).resolves.toBe('tok-5678');
  });
});

describe('secret references', () => {
  it('parses name, key and default', () => {
    expect(parseSecretReference('secret://db:password')).toEqual({
      raw: 'secret://db:password',
      name: 'db',
      key: 'password',
    });
    expect(parseSecretReference('secret://app/db:password?default=x%20y')).toMatchObject({
      name: 'app/db',
      key: 'password',
      default: 'x y',
    });
    expect(parseSecretReference('secret://token').key).toBeUndefined();
    expect(() => parseSecretReference('secret://db:')).toThrow('Malformed secret reference');
    expect(() => parseSecretReference('secret://db:k?fallback=1')).toThrow('only ?default');
  });

  it('finds references anywhere in a tree', () => {
    const sites = findReferences({
      api: { keys: ['literal', 'secret://api:key'] },
      webhooks: { gh: { secret: 'secret://wh:gh' } },
    });
    expect(sites.map((s) => s.path)).toEqual(['api.keys.1', 'webhooks.gh.secret']);
  });
});
