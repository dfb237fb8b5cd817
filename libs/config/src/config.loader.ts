import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { extname, isAbsolute, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { readEnvLayer } from './config.env';
import { ConfigError } from './config.error';
import type { ConfigModuleOptions } from './config.interface';
import { deepMerge, deepFreeze, isPlainObject } from './config.merge';
import { miraConfigSchema, type MiraConfig } from './config.schema';

export const DEFAULT_CONFIG_FILE = 'config/mira.yaml';

export interface LoadedConfig {
  config: MiraConfig;
  file: string | null;
  /** sha256 of the file's bytes (null without a file); reloads skip identical content. */
  hash: string | null;
  /**
   * Top-level sections the file itself set (not defaults or env): a reload whose file lost one of
   * them is held as a likely truncated write. Absent: unknown, nothing is compared.
   */
  sections?: readonly string[];
}

/** Finds the file: explicit option, then MIRA_CONFIG_FILE, then config/mira.yaml when present. */
export function resolveConfigFile(options: ConfigModuleOptions = {}): string | null {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  if (options.file === null) return null;
  const explicit = options.file ?? env.MIRA_CONFIG_FILE;
  if (explicit) return isAbsolute(explicit) ? explicit : resolve(cwd, explicit);
  const fallback = resolve(cwd, DEFAULT_CONFIG_FILE);
  return existsSync(fallback) ? fallback : null;
}

/** Parses config text (YAML, or JSON for `.json` files) into a plain object. */
export function parseConfigText(text: string, file: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = extname(file).toLowerCase() === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    const reason = (err as Error).message.split('\n')[0];
    throw new ConfigError(
      'CONFIG_FILE_UNPARSABLE',
      `Config file ${file} is not valid ${extname(file) === '.json' ? 'JSON' : 'YAML'}: ${reason}`,
    );
  }
  if (parsed === null || parsed === undefined) return {};
  if (!isPlainObject(parsed)) {
    throw new ConfigError(
      'CONFIG_FILE_UNPARSABLE',
      `Config file ${file} must hold a mapping of sections (server, logging, ...), not a ${Array.isArray(parsed) ? 'list' : typeof parsed}`,
    );
  }
  return parsed;
}

/** The error for a file that cannot be read (missing, permission denied, ...), saying how to fix it. */
export function unreadableFileError(file: string, err: unknown): ConfigError {
  const code = (err as NodeJS.ErrnoException).code;
  const why =
    code === 'ENOENT'
      ? 'does not exist'
      : code === 'EISDIR'
        ? 'is a directory, not a file'
        : code === 'EACCES' || code === 'EPERM'
          ? 'is not readable (permission denied)'
          : `cannot be read (${code ?? (err as Error).message})`;
  return new ConfigError(
    'CONFIG_FILE_UNREADABLE',
    `Config file ${file} ${why}; fix the path in MIRA_CONFIG_FILE or the file's permissions`,
  );
}

/** How the loader reads the file; the reload service passes the bytes it has already hashed. */
export type ConfigFileRead = (file: string) => Buffer;

export function readConfigFile(
  file: string,
  read: ConfigFileRead = readFileSync,
): { raw: Record<string, unknown>; hash: string } {
  let bytes: Buffer;
  try {
    bytes = read(file);
  } catch (err) {
    throw unreadableFileError(file, err);
  }
  return {
    raw: parseConfigText(bytes.toString('utf8'), file),
    hash: createHash('sha256').update(bytes).digest('hex'),
  };
}

/** Formats the first validation issue as `path: reason (set by VAR)`. */
export function formatIssue(
  issue: z.core.$ZodIssue,
  sources: Map<string, string>,
): { path: string; message: string } {
  let segments = issue.path.map(String);
  let reason = issue.message;
  if (issue.code === 'unrecognized_keys') {
    segments = [...segments, issue.keys[0]];
    reason = `unknown key (allowed keys are listed in docs/configuration.md)`;
  }
  const path = segments.join('.') || '(root)';
  const source = sources.get(path);
  return { path, message: `${path}: ${reason}${source ? ` (set by ${source})` : ''}` };
}

/** Validates a layered tree; throws one ConfigError naming the first failing key. */
export function validateConfig(
  tree: unknown,
  sources = new Map<string, string>(),
  options: { crossField?: boolean } = {},
): MiraConfig {
  const result = miraConfigSchema.safeParse(tree);
  if (!result.success) {
    const { path, message } = formatIssue(result.error.issues[0], sources);
    const more = result.error.issues.length > 1 ? ` (and ${result.error.issues.length - 1} more)` : '';
    throw new ConfigError('CONFIG_INVALID', `Invalid configuration: ${message}${more}`, path);
  }
  // Off only to judge one key alone (deploy tests); the service always checks the whole config.
  if (options.crossField !== false) checkCrossField(result.data);
  return result.data;
}

/** Rules that span sections: each valid alone, wrong together. Throws one ConfigError naming the key. */
export function checkCrossField(config: MiraConfig): void {
  // Replicas share work over Redis, so a decision stored in one replica's own sqlite file would be
  // invisible to the replica that picks up the workflow: refuse instead of losing approvals.
  if (config.broker.transport === 'redis' && config.state.backend === 'sqlite') {
    throw new ConfigError(
      'CONFIG_INVALID',
      'Invalid configuration: state.backend is sqlite while broker.transport is redis: approvals stored on one replica ' +
        'would be invisible to the others; set state.backend: postgres (MIRA_STATE__BACKEND=postgres) and state.postgres.url',
      'state.backend',
    );
  }
}

/** Defaults < file < overrides < environment, validated; the returned config is frozen. */
export function loadConfig(
  options: ConfigModuleOptions = {},
  read: ConfigFileRead = readFileSync,
): LoadedConfig {
  const env = options.env ?? process.env;
  const file = resolveConfigFile(options);
  const fromFile = file ? readConfigFile(file, read) : null;
  const envLayer = readEnvLayer(env);
  const tree = deepMerge(deepMerge(fromFile?.raw ?? {}, options.overrides ?? {}), envLayer.values);
  const config = deepFreeze(validateConfig(tree, envLayer.sources));
  return {
    config,
    file,
    hash: fromFile?.hash ?? null,
    ...(fromFile ? { sections: Object.keys(fromFile.raw) } : {}),
  };
}
