import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { extname, isAbsolute, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { applyCompat } from './config.compat';
import { readEnvLayer } from './config.env';
import { ConfigError } from './config.error';
import type { ConfigModuleOptions } from './config.interface';
import { deepMerge, deepFreeze, isPlainObject } from './config.merge';
import { modulesConfig, type MiraConfig } from './config.schema';
import { composedConfigSchema, configSections, type ConfigSection } from './config.section';
import { isCredentialValue, isSecretLookingKey, maskCredentialUrls, redactFrame } from './config.redact';
import { closestKey, knownKeysAt } from './config.suggest';

export { redactFrame } from './config.redact';

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
  /** Deprecated keys the file or environment used, one line each naming the key to use instead. */
  deprecations?: readonly string[];
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
    // YAML's message carries line, column and a code frame pointing at the fault: keep them, with
    // the values of secret-looking keys masked (the frame quotes the file). V8's JSON
    // message quotes the text around the fault instead: only its position is kept.
    const message = (err as Error).message.trimEnd();
    const reason =
      extname(file).toLowerCase() === '.json' ? jsonFault(message, text) : redactFrame(message, text);
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

/** `line L, column C` of a JSON syntax error, without the text V8 quotes around it. */
function jsonFault(message: string, text: string): string {
  const at = /at position (\d+)/.exec(message);
  if (!at) return 'a syntax error (check quotes, commas and brackets)';
  const before = text.slice(0, Number(at[1]));
  const line = before.split('\n').length;
  const column = Number(at[1]) - before.lastIndexOf('\n');
  return `a syntax error at line ${line}, column ${column}`;
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

/** Files parsed by a readOnce() reader: (reader -> file -> parsed). */
const parsedOnce = new WeakMap<ConfigFileRead, Map<string, { raw: Record<string, unknown>; hash: string }>>();

/**
 * A reader whose files are read and parsed once (a failure is not kept: it happens again, with
 * the same message). For the start, where the tracing preload, the plugin list and the full load
 * read the same file within milliseconds; never for reloads, which must see a changed file.
 */
export function readOnce(read: ConfigFileRead = readFileSync): ConfigFileRead {
  const reader: ConfigFileRead = (file) => read(file);
  parsedOnce.set(reader, new Map());
  return reader;
}

export function readConfigFile(
  file: string,
  read: ConfigFileRead = readFileSync,
): { raw: Record<string, unknown>; hash: string } {
  const once = parsedOnce.get(read);
  const seen = once?.get(file);
  if (seen) return seen;
  const parsed = readAndParse(file, read);
  once?.set(file, parsed);
  return parsed;
}

function readAndParse(file: string, read: ConfigFileRead): { raw: Record<string, unknown>; hash: string } {
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

/** Most issues listed in one error; a broken file rarely has more, and a wall of text hides them. */
export const MAX_LISTED_ISSUES = 20;

/** The origin of a key: its own, else the nearest parent's (a whole section set by one layer). */
function sourceOf(path: string, sources: Map<string, string>): string | undefined {
  for (let p = path; p; p = p.includes('.') ? p.slice(0, p.lastIndexOf('.')) : '') {
    const s = sources.get(p);
    if (s) return s;
  }
  return undefined;
}

/** What formatIssue may quote: the layered tree (values from the environment) and the schema (known keys). */
export interface IssueContext {
  tree?: unknown;
  schema?: z.ZodType;
}

/**
 * Formats one validation issue as `path: reason (set by file <path> | env VAR)`. An unknown key
 * gets the closest known key at its level ("did you mean"); a wrong value from the environment
 * is quoted back unless its key or value looks secret.
 */
export function formatIssue(
  issue: z.core.$ZodIssue,
  sources: Map<string, string>,
  context: IssueContext = {},
): { path: string; message: string } {
  let segments = issue.path.map(String);
  let reason = issue.message;
  if (issue.code === 'unrecognized_keys') {
    const known = context.schema ? knownKeysAt(context.schema, segments) : [];
    const suggestion = closestKey(issue.keys[0], known);
    const parent = segments.length ? `${segments.join('.')}.` : '';
    segments = [...segments, issue.keys[0]];
    reason = suggestion
      ? `unknown key, did you mean ${parent}${suggestion}? (allowed keys are listed in docs/configuration.md)`
      : `unknown key (allowed keys are listed in docs/configuration.md)`;
  }
  const path = segments.join('.') || '(root)';
  // A whole unknown section is attributed to the layer that set any key below it.
  const source = sourceOf(path, sources) ?? sourceBelow(path, sources);
  let quoted = '';
  if (source?.startsWith('env ') && issue.code !== 'unrecognized_keys') {
    const value = getIn(context.tree, segments);
    if (typeof value === 'string') {
      // A URL is shown with its credentials masked (cut after masking, so no half-secret shows).
      const shown = maskCredentialUrls(value);
      quoted =
        isSecretLookingKey(path) || (shown === value && isCredentialValue(value))
          ? ' (value hidden: it looks secret)'
          : ` (received ${JSON.stringify(shown.length > 80 ? `${shown.slice(0, 80)}...` : shown)})`;
    }
  }
  return { path, message: `${path}: ${reason}${quoted}${source ? ` (set by ${source})` : ''}` };
}

function sourceBelow(path: string, sources: Map<string, string>): string | undefined {
  for (const [p, s] of sources) if (p.startsWith(`${path}.`)) return s;
  return undefined;
}

function getIn(tree: unknown, segments: readonly string[]): unknown {
  let node = tree;
  for (const segment of segments) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[segment];
  }
  return node;
}

/** Validates a layered tree; throws one ConfigError listing every failing key (up to 20) and its source. */
export function validateConfig(
  tree: unknown,
  sources = new Map<string, string>(),
  options: { crossField?: boolean; env?: NodeJS.ProcessEnv } = {},
): MiraConfig {
  const schema = composedConfigSchema();
  const result = schema.safeParse(tree);
  if (!result.success) throw invalidConfig(result.error.issues, sources, { tree, schema });
  // Off only to judge one key alone (deploy tests); the service always checks the whole config.
  if (options.crossField !== false) checkCrossField(result.data as unknown as MiraConfig, options.env);
  return result.data as unknown as MiraConfig;
}

/** One ConfigError listing every failing key (up to 20) and its source. */
function invalidConfig(
  zodIssues: readonly z.core.$ZodIssue[],
  sources: Map<string, string>,
  context: IssueContext = {},
): ConfigError {
  // An unknown-keys issue names several keys at once: one line per key.
  const issues = zodIssues.flatMap((i): z.core.$ZodIssue[] =>
    i.code === 'unrecognized_keys' ? i.keys.map((k) => ({ ...i, keys: [k] })) : [i],
  );
  const formatted = issues.map((i) => formatIssue(i, sources, context));
  const listed = formatted.slice(0, MAX_LISTED_ISSUES);
  const rest = formatted.length - listed.length;
  const message =
    formatted.length === 1
      ? `Invalid configuration: ${formatted[0].message}`
      : `Invalid configuration (${formatted.length} problems):\n` +
        listed.map((f) => `  - ${f.message}`).join('\n') +
        (rest > 0 ? `\n  ... and ${rest} more` : '');
  return new ConfigError(
    'CONFIG_INVALID',
    message,
    formatted[0].path,
    listed.map((f) => f.message),
  );
}

/** Rules that span sections (each section's `check`): each valid alone, wrong together. Throws one ConfigError naming the key. */
export function checkCrossField(config: MiraConfig, env: NodeJS.ProcessEnv = process.env): void {
  for (const section of configSections())
    section.check?.(config as unknown as Record<string, unknown>, { env });
}

export interface Layered {
  tree: Record<string, unknown>;
  sources: Map<string, string>;
  file: string | null;
  hash: string | null;
  sections?: string[];
  deprecations: string[];
}

/** Reads and layers file < overrides < environment (compat keys mapped), not yet validated. */
export function layer(options: ConfigModuleOptions, read: ConfigFileRead): Layered {
  const env = options.env ?? process.env;
  const file = resolveConfigFile(options);
  const fromFile = file ? readConfigFile(file, read) : null;
  const fileLayer = applyCompat(fromFile?.raw ?? {}, (p) => `${p} in file ${file}`);
  const envLayer = readEnvLayer(env);
  const envCompat = applyCompat(
    envLayer.values,
    (p) => `env ${envLayer.sources.get(p) ?? p}`,
    envLayer.sources,
  );
  const tree = deepMerge(deepMerge(fileLayer.tree, options.overrides ?? {}), envCompat.tree) as Record<
    string,
    unknown
  >;
  // Every key the file set is attributed to it unless the environment overrides it.
  const sources = new Map<string, string>();
  if (file) for (const path of leafPaths(fileLayer.tree)) sources.set(path, `file ${file}`);
  for (const [path, variable] of envLayer.sources) sources.set(path, `env ${variable}`);
  return {
    tree,
    sources,
    file,
    hash: fromFile?.hash ?? null,
    ...(fromFile ? { sections: Object.keys(fileLayer.tree) } : {}),
    deprecations: [...fileLayer.deprecations, ...envCompat.deprecations],
  };
}

/** Defaults < file < overrides < environment, validated; the returned config is frozen. */
export function loadConfig(
  options: ConfigModuleOptions = {},
  read: ConfigFileRead = readFileSync,
): LoadedConfig {
  const layered = layer(options, read);
  const env = options.env ?? process.env;
  const config = deepFreeze(validateConfig(layered.tree, layered.sources, { env }));
  const { deprecations } = layered;
  return {
    config,
    file: layered.file,
    hash: layered.hash,
    ...(layered.sections ? { sections: layered.sections } : {}),
    ...(deprecations.length ? { deprecations } : {}),
  };
}

/**
 * One section from the same layers as loadConfig (file, overrides, environment), validated
 * alone: for code that runs before the modules that register the other sections are loaded
 * (the tracing preload). The section need not be registered. Throws a ConfigError naming the key.
 */
export function readConfigSection<S extends ConfigSection>(
  section: S,
  options: ConfigModuleOptions = {},
  read: ConfigFileRead = readFileSync,
): z.output<S['schema']> {
  const layered = layer(options, read);
  const result = section.schema.safeParse(layered.tree[section.key]);
  if (!result.success)
    throw invalidConfig(
      result.error.issues.map((i) => ({ ...i, path: [section.key, ...i.path] })),
      layered.sources,
      { tree: layered.tree },
    );
  return deepFreeze(result.data) as z.output<S['schema']>;
}

/**
 * The `modules` list (config file + MIRA_MODULES, comma-separated; the environment wins) without
 * validating anything else: the plugin loader calls it before the plugins' sections exist.
 */
export function readModuleList(
  options: ConfigModuleOptions = {},
  read: ConfigFileRead = readFileSync,
): readonly string[] {
  return readConfigSection(modulesConfig, options, read);
}

/** Dotted paths of a tree's leaves (and of its empty sections). */
function leafPaths(tree: Record<string, unknown>, prefix = ''): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(tree)) {
    const path = prefix ? `${prefix}.${k}` : k;
    if (isPlainObject(v) && Object.keys(v).length > 0) out.push(...leafPaths(v, path));
    else out.push(path);
  }
  return out;
}
