import 'reflect-metadata';
import { ConfigError, ConfigStore, loadConfig, type LoadedConfig } from '@mira/config';
import { createApp } from './app.factory';

/** One plain line on stderr, then exit 1: a start failure must be obvious in any log viewer. */
function fail(message: string): never {
  process.stderr.write(`mira: fatal: ${message}\n`);
  process.exit(1);
}

async function bootstrap(): Promise<void> {
  let loaded: LoadedConfig;
  try {
    loaded = loadConfig();
  } catch (err) {
    fail(
      err instanceof ConfigError ? err.message : `could not load configuration: ${(err as Error).message}`,
    );
  }
  const app = await createApp({ config: { preloaded: loaded } });
  app.enableShutdownHooks();
  const { host, port } = app.get(ConfigStore).get('server');
  await app.listen({ port, host });
}

bootstrap().catch((err: Error & { code?: string }) =>
  fail(`${err.code ? `${err.code}: ` : ''}${err.message}`),
);
