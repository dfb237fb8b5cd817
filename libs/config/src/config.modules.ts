import type { ConfigModuleOptions } from './config.interface';
import { ConfigError } from './config.error';
import { readConfigFile, resolveConfigFile } from './config.loader';

/**
 * The `modules` list (extra Nest modules to import), read before the whole config is validated:
 * a plugin registers its own config section when it loads, so validation has to wait for it.
 * MIRA_MODULES (comma-separated) wins over the file's `modules`, as every variable does.
 */
export function readModuleList(options: ConfigModuleOptions = {}): string[] {
  const env = options.env ?? process.env;
  const fromEnv = env.MIRA_MODULES;
  if (fromEnv !== undefined && fromEnv.trim() !== '') return splitList(fromEnv);
  const file = resolveConfigFile(options);
  if (!file) return [];
  const value = readConfigFile(file).raw.modules;
  if (value === undefined || value === null) return [];
  if (typeof value === 'string') return splitList(value);
  if (Array.isArray(value) && value.every((v) => typeof v === 'string'))
    return value.map((v) => v.trim()).filter(Boolean);
  throw new ConfigError(
    'CONFIG_INVALID',
    `Invalid configuration: modules: expected a list of package names or file paths (set by file ${file})`,
    'modules',
  );
}

function splitList(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}
