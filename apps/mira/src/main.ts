// Before anything else: an old Node fails here with one line, not deep inside an import.
import './node-version.check';
import { startupConfigRead, tracingStart } from './tracing.preload';
import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import {
  ConfigError,
  ConfigStore,
  loadConfig,
  maskCredentialUrls,
  readModuleList,
  type LoadedConfig,
} from '@mira/config';
import { ShutdownService } from '@mira/shutdown';
import { SERVICE_VERSION } from '@mira/logging';
import { createApp } from './app.factory';
import { bootstrapLoggers } from './bootstrap.logger';
import type { AppModuleOptions } from './app.module';
import { PluginError } from './plugins/plugin.error';
import { PluginLoader, type LoadedPlugin } from './plugins/plugin.loader';

/** One plain line on stderr, then exit 1: a start failure must be obvious in any log viewer. */
function fail(message: string): never {
  // Masked like a log line: a plugin's or driver's message may quote a URL with credentials.
  process.stderr.write(`mira: fatal: ${maskCredentialUrls(message)}\n`);
  process.exit(1);
}

/**
 * Loads config, builds the app, hands signals and fatal errors to the shutdown sequence and
 * listens. Exported so a test entry can add extension modules to the real bootstrap.
 */
export async function bootstrap(extra: Pick<AppModuleOptions, 'imports'> = {}): Promise<void> {
  if (tracingStart.error) fail(tracingStart.error.message);
  // Plugins (`modules` / MIRA_MODULES) load first: a plugin's config section, registered when its
  // file loads, is then part of the validation below.
  let plugins: LoadedPlugin[];
  try {
    const specs = readModuleList({}, startupConfigRead);
    // No loader (and no resolve hook) at all without plugins.
    plugins = specs.length > 0 ? new PluginLoader().loadAll(specs) : [];
  } catch (err) {
    fail(
      err instanceof PluginError || err instanceof ConfigError
        ? err.message
        : `could not load modules: ${(err as Error).message}`,
    );
  }
  let loaded: LoadedConfig;
  try {
    loaded = loadConfig({}, startupConfigRead);
  } catch (err) {
    fail(
      err instanceof ConfigError ? err.message : `could not load configuration: ${(err as Error).message}`,
    );
  }
  const app = await createApp({
    config: { preloaded: loaded },
    imports: [...(extra.imports ?? []), ...plugins.map((p) => p.module)],
  });
  for (const p of plugins)
    new Logger('Plugins').log(`Loaded plugin ${p.spec} (${p.file}): ${moduleName(p.module)}`);
  // Instead of app.enableShutdownHooks(): readiness, drain delay and HTTP drain must come
  // before Nest's own close, which runs as one of the ordered hooks.
  app.get(ShutdownService).attach(app);
  const { host, port } = app.get(ConfigStore).get('server');
  try {
    await app.listen({ port, host });
  } catch (err) {
    if ((err as { code?: string }).code === 'EADDRINUSE')
      fail(
        `port ${port} on ${host} is already in use (server.port, or the PORT environment variable); ` +
          'stop the process using it or set PORT to a free port',
      );
    throw err;
  }
  // Port 0 picks a free port: report the one bound, so the line is the address to call.
  const address = app.getHttpServer().address();
  const bound = typeof address === 'object' && address ? address.port : port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${bound}`;
  const config = app.get(ConfigStore);
  const counts = bootstrapLoggers.get(app);
  // One start line instead of Nest's per-module and per-route lines (those are at debug).
  new Logger('Bootstrap').log(
    `Listening on ${url} (Mira ${SERVICE_VERSION}: ${counts?.modules ?? 0} modules, ` +
      `${counts?.routes ?? 0} routes, store ${config.get('state').backend}, broker ${config.get('broker').transport})`,
  );
}

function moduleName(module: LoadedPlugin['module']): string {
  return typeof module === 'function' ? module.name : module.module.name;
}

if (require.main === module)
  bootstrap().catch((err: Error & { code?: string }) => {
    // Mira's own errors (a code) say what to fix; anything else (a plugin's provider that threw)
    // also needs where it came from: its frames outside node_modules follow the one fatal line.
    const frames = err.code
      ? []
      : String(err.stack ?? '')
          .split('\n')
          .filter((l) => /^\s+at /.test(l) && !/node_modules|node:internal/.test(l));
    fail(`${err.code ? `${err.code}: ` : ''}${err.message}${frames.map((f) => `\n${f}`).join('')}`);
  });
