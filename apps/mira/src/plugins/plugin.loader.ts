import { existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { isAbsolute, join, resolve } from 'node:path';
import type { DynamicModule, Type } from '@nestjs/common';
import { PluginError } from './plugin.error';
import { PluginResolution, pluginRoot } from './plugin.resolution';

/** What @Module() records on a class; a class with none of these is not a (useful) module. */
const MODULE_KEYS = ['imports', 'providers', 'controllers', 'exports'];

export type PluginModule = Type<unknown> | DynamicModule;

export interface LoadedPlugin {
  /** The entry as listed in `modules` / MIRA_MODULES. */
  spec: string;
  /** The file required. */
  file: string;
  module: PluginModule;
}

export interface PluginLoaderOptions {
  /** Relative paths and package names resolve from here (default: the working directory). */
  cwd?: string;
  resolution?: PluginResolution;
  /** How a file is loaded (default: Node's require). */
  load?: (file: string) => unknown;
}

/**
 * Turns the `modules` list into Nest modules to import: each entry is a path to a compiled
 * JavaScript file (absolute, `./` or `../` relative to the working directory, or a relative
 * `.js`/`.cjs`/`.mjs` path that exists) or an installed package name (looked up from the working
 * directory, NODE_PATH, then the service's own node_modules). Runs before the config is
 * validated, so a plugin's config section, registered when its file loads, is validated too.
 */
export class PluginLoader {
  private readonly cwd: string;
  private readonly resolution: PluginResolution;
  private readonly load: (file: string) => unknown;

  constructor(options: PluginLoaderOptions = {}) {
    this.cwd = options.cwd ?? process.cwd();
    this.resolution = options.resolution ?? new PluginResolution();
    // require() by design: a plugin is a file or package named at run time.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    this.load = options.load ?? ((file) => require(file));
  }

  loadAll(specs: readonly string[]): LoadedPlugin[] {
    return specs.map((spec) => this.loadOne(spec));
  }

  loadOne(spec: string): LoadedPlugin {
    const file = this.locate(spec);
    // Before the first require: the plugin's own requires must already meet the hook.
    this.resolution.addPluginRoot(pluginRoot(file));
    let exported: unknown;
    try {
      exported = this.load(file);
    } catch (err) {
      throw new PluginError(
        'PLUGIN_LOAD_FAILED',
        spec,
        `plugin ${spec} (${file}) failed to load: ${oneLine(err)}; fix the plugin or remove it from modules / MIRA_MODULES`,
      );
    }
    return { spec, file, module: pickModule(spec, exported) };
  }

  /** The file to require for `spec`; throws PLUGIN_NOT_FOUND naming where it looked. */
  locate(spec: string): string {
    const explicitPath = isAbsolute(spec) || /^\.\.?[\\/]/.test(spec);
    const asPath = resolve(this.cwd, spec);
    if (explicitPath || (/\.[cm]?js$/.test(spec) && existsSync(asPath))) {
      if (!existsSync(asPath) || !statSync(asPath).isFile())
        throw new PluginError(
          'PLUGIN_NOT_FOUND',
          spec,
          `plugin ${spec}: no file ${asPath}; give the path of the compiled JavaScript file (absolute, or relative to ${this.cwd})`,
        );
      return asPath;
    }
    for (const from of [join(this.cwd, 'noop.js'), join(__dirname, 'noop.js')]) {
      try {
        return createRequire(from).resolve(spec);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') throw loadFailed(spec, err);
      }
    }
    // `plugins/x.js` could be either a path without `./` or a package named like `highlight.js`.
    const orFile = /\.[cm]?js$/.test(spec) ? ` and no file ${asPath}` : '';
    throw new PluginError(
      'PLUGIN_NOT_FOUND',
      spec,
      `plugin ${spec}: no package of that name is installed${orFile} (looked in ${join(this.cwd, 'node_modules')}, ` +
        `NODE_PATH and the service's node_modules); install it there (npm install <package>) or give the path of a compiled .js file`,
    );
  }
}

/**
 * The Nest module a plugin exports: `module.exports = Module`, the default export, or the one
 * exported @Module class (or dynamic module). Several and no default is an error: which one
 * to import would be a guess.
 */
export function pickModule(spec: string, exported: unknown): PluginModule {
  if (isNestModule(exported)) return exported;
  const ns = (exported ?? {}) as Record<string, unknown>;
  if (isNestModule(ns.default)) return ns.default;
  const found = Object.entries(ns).filter(([, v]) => isNestModule(v));
  if (found.length === 1) return found[0][1] as PluginModule;
  const why =
    found.length > 1
      ? `exports several Nest modules (${found.map(([k]) => k).join(', ')}); export the one to import as default`
      : `exports no Nest module; export a class decorated with @Module({ ... }) (module.exports = MyModule, or as default)`;
  throw new PluginError('PLUGIN_NOT_A_MODULE', spec, `plugin ${spec} ${why}`);
}

export function isNestModule(value: unknown): value is PluginModule {
  if (typeof value === 'function') return MODULE_KEYS.some((k) => Reflect.hasOwnMetadata(k, value));
  return typeof value === 'object' && value !== null && typeof (value as DynamicModule).module === 'function';
}

function loadFailed(spec: string, err: unknown): PluginError {
  return new PluginError('PLUGIN_LOAD_FAILED', spec, `plugin ${spec} cannot be resolved: ${oneLine(err)}`);
}

/** A thrown value's message on one line (the fatal line must stay one line). */
function oneLine(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.split('\n')[0].trim() || 'unknown error';
}
