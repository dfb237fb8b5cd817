import { Injectable } from '@nestjs/common';
import { DiscoveryModule, DiscoveryService } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { SecretsBackendProvider } from '../secrets.decorator';
import { SecretsError } from '../secrets.error';
import type { SecretsBackend } from '../secrets.interface';
import { SecretsBackendRegistry } from './secrets-backend.registry';

@Injectable()
@SecretsBackendProvider('custom')
class CustomBackend implements SecretsBackend {
  async read() {
    return 'from-custom';
  }
}

const handMade = (value: string): SecretsBackend => ({ read: async () => value });

/** A registry on Nest discovery in a module that provides CustomBackend. */
async function discovering() {
  const moduleRef = await Test.createTestingModule({
    imports: [DiscoveryModule],
    providers: [CustomBackend],
  }).compile();
  return { moduleRef, registry: new SecretsBackendRegistry(moduleRef.get(DiscoveryService)) };
}

describe('SecretsBackendRegistry', () => {
  it('finds @SecretsBackendProvider providers through Nest discovery', async () => {
    const { moduleRef, registry } = await discovering();
    const backend = registry.select('custom');
    expect(backend).toBe(moduleRef.get(CustomBackend));
    await expect(backend.read('any', undefined)).resolves.toBe('from-custom');
    await moduleRef.close();
  });

  it('a backend registered by hand wins over a discovered one of the same name', async () => {
    const { moduleRef, registry } = await discovering();
    const mine = handMade('by-hand');
    registry.register('custom', mine);
    expect(registry.select('custom')).toBe(mine);
    await moduleRef.close();
  });

  it('works without discovery, and names the unknown backend, the known ones and the keys to fix', () => {
    const registry = new SecretsBackendRegistry();
    registry.register('env', handMade('a'));
    registry.register('file', handMade('b'));
    let err: unknown;
    try {
      registry.select('vualt');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SecretsError);
    expect(err).toMatchObject({ code: 'SECRETS_BACKEND_UNKNOWN' });
    expect((err as Error).message).toBe(
      'secrets.backend is "vualt" but no such backend is registered (known: env, file); fix secrets.backend / MIRA_SECRETS_BACKEND',
    );
  });
});
