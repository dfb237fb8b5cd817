import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import {
  ConfigFileSystem,
  ConfigReloadService,
  ConfigStore,
  ConfigWatcherFactory,
  loadConfig,
  type ConfigChange,
} from '@mira/config';
import { EnvSecretsBackend } from './backends/env.backend';
import { SecretsConfigResolver } from './secrets.resolver';
import { SecretsService } from './secrets.service';

describe('SecretsConfigResolver and hot reload', () => {
  beforeAll(() => Logger.overrideLogger(false));
  afterAll(() => Logger.overrideLogger(['log', 'error', 'warn']));

  it('a rotation updates only the keys referencing the secret: restart-only changes held by a reload stay held', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'mira-rot-')), 'mira.yaml');
    const write = (port: number) =>
      writeFileSync(file, `server:\n  port: ${port}\napi:\n  keys: ["secret://apikey:a"]\n`);
    write(8080);
    const env: Record<string, string> = { APIKEY_A: 'v1' };
    const options = { file, env };
    const store = new ConfigStore(loadConfig(options));
    const secrets = new SecretsService({ ...store.get('secrets'), env } as never, env);
    secrets.registerBackend('env', new EnvSecretsBackend());
    const resolver = new SecretsConfigResolver(secrets, store);
    await resolver.onModuleInit();
    expect(store.get('api').keys).toEqual(['v1']);

    // The file changes a restart-only key: the running value stays and the key waits for a restart.
    const reload = new ConfigReloadService(
      store,
      options,
      new ConfigFileSystem(),
      new ConfigWatcherFactory(),
    );
    write(9090);
    await reload.reload();
    expect(store.get('server').port).toBe(8080);
    expect(store.status().pending_restart).toEqual(['server.port']);

    const changes: ConfigChange[] = [];
    store.onChange((e) => void changes.push(...e.changes));
    env.APIKEY_A = 'v2';
    await secrets.refreshAll();
    const deadline = Date.now() + 5000;
    while (store.get('api').keys[0] !== 'v2' && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 10));

    expect(store.get('api').keys).toEqual(['v2']);
    expect(changes.map((c) => c.path)).toEqual(['api.keys']);
    expect(store.get('server').port).toBe(8080);
    expect(store.status().pending_restart).toEqual(['server.port']);
    await secrets.onApplicationShutdown();
  });
});
