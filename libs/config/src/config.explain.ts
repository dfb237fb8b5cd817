import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { isMap, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import { ConfigError } from './config.error';
import type { ConfigModuleOptions } from './config.interface';
import { layer, resolveConfigFile, validateConfig, type ConfigFileRead, type Layered } from './config.loader';
import { isPlainObject } from './config.merge';
import { isCredentialValue, isSecretLookingKey, maskCredentialUrl, REDACTED_VALUE } from './config.redact';

/** One problem of a configuration, placed in its file when it comes from one (`mira config validate`). */
export interface ConfigProblem {
  file: string | null;
  line: number | null;
  column: number | null;
  /** The key path, when the problem is about one key. */
  path: string | null;
  /** `path: reason (set by ...)`, with the suggestion when there is one. */
  message: string;
}

export interface ConfigCheck {
  ok: boolean;
  file: string | null;
  problems: ConfigProblem[];
  /** Deprecated keys in use, each naming the key to use instead (warnings, not problems). */
  deprecations: string[];
}

/**
 * Checks a configuration as the service would load it (file < overrides < environment), and
 * places every problem at its line: the same loader, messages and suggestions as a start.
 */
export function checkConfig(
  options: ConfigModuleOptions = {},
  read: ConfigFileRead = readFileSync,
): ConfigCheck {
  const file = resolveConfigFile(options);
  let layered: Layered;
  try {
    layered = layer(options, read);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    const at = /at line (\d+), column (\d+)/.exec(err.message);
    const problem = { file, line: at ? Number(at[1]) : null, column: at ? Number(at[2]) : null };
    return {
      ok: false,
      file,
      problems: [{ ...problem, path: null, message: err.message }],
      deprecations: [],
    };
  }
  const deprecations = layered.deprecations;
  try {
    validateConfig(layered.tree, layered.sources, { env: options.env ?? process.env });
    return { ok: true, file, problems: [], deprecations };
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    const text = file && !/\.json$/i.test(extname(file)) ? safeRead(read, file) : null;
    const messages = err.issues.length > 0 ? err.issues : [err.message];
    const problems = messages.map((message): ConfigProblem => {
      const path = err.issues.length > 0 ? message.slice(0, message.indexOf(':')) : (err.path ?? null);
      const inFile = file !== null && message.includes(`(set by file ${file})`);
      const line = inFile && text !== null && path ? keyLine(text, path) : null;
      return { file: inFile ? file : null, line, column: line === null ? null : 1, path, message };
    });
    return { ok: false, file, problems, deprecations };
  }
}

function safeRead(read: ConfigFileRead, file: string): string | null {
  try {
    return read(file).toString('utf8');
  } catch {
    return null;
  }
}

/** The line of `path`'s key in YAML `text` (its deepest ancestor present when the key itself is not). */
export function keyLine(text: string, path: string): number | null {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter });
  let node: unknown = doc.contents;
  let offset: number | null = null;
  for (const segment of path.split('.')) {
    if (isMap(node)) {
      const pair = node.items.find((p) => String((p.key as { value?: unknown })?.value ?? p.key) === segment);
      if (!pair) break;
      offset = (pair.key as Node).range?.[0] ?? offset;
      node = pair.value;
    } else if (isSeq(node) && /^\d+$/.test(segment)) {
      const item = node.items[Number(segment)] as Node | undefined;
      if (!item) break;
      offset = item.range?.[0] ?? offset;
      node = item;
    } else break;
  }
  return offset === null ? null : lineCounter.linePos(offset).line;
}

export interface ExplainedConfig {
  file: string | null;
  /** The values, secrets masked: what the file and environment set, or with --effective every key. */
  values: Record<string, unknown>;
  /** Leaf path -> `file <path>`, `env <VAR>`, `override` or `default`. */
  sources: Record<string, string>;
}

/**
 * The configuration as the service would see it, secrets masked: only what the layers set, or
 * (`effective`) every key with its default. Throws the loader's ConfigError when invalid.
 */
export function explainConfig(
  options: ConfigModuleOptions = {},
  { effective = false }: { effective?: boolean } = {},
  read: ConfigFileRead = readFileSync,
): ExplainedConfig {
  const layered = layer(options, read);
  const tree = effective
    ? (validateConfig(layered.tree, layered.sources, {
        env: options.env ?? process.env,
      }) as unknown as Record<string, unknown>)
    : layered.tree;
  const sources: Record<string, string> = {};
  for (const path of leaves(tree)) sources[path] = sourceFor(path, layered.sources);
  return { file: layered.file, values: maskSecrets(tree) as Record<string, unknown>, sources };
}

function sourceFor(path: string, sources: Map<string, string>): string {
  for (let p = path; p; p = p.includes('.') ? p.slice(0, p.lastIndexOf('.')) : '') {
    const s = sources.get(p);
    if (s) return s;
  }
  return 'default';
}

function leaves(tree: unknown, prefix = ''): string[] {
  if (!isPlainObject(tree) || Object.keys(tree).length === 0) return prefix ? [prefix] : [];
  return Object.entries(tree).flatMap(([k, v]) => leaves(v, prefix ? `${prefix}.${k}` : k));
}

/**
 * A copy with the values of secret-looking keys masked, and the credentials of URLs (user info,
 * `?token=`-like parameters, Slack-style hook paths); a
 * `secret://` reference is not a secret and stays readable.
 */
export function maskSecrets(value: unknown, secretParent = false): unknown {
  if (Array.isArray(value)) return value.map((v) => maskSecrets(v, secretParent));
  if (isPlainObject(value))
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, maskSecrets(v, isSecretLookingKey(k))]),
    );
  if (typeof value === 'string' && value.startsWith('secret://')) return value;
  if (value === null || value === undefined || value === '') return value;
  if (secretParent) return REDACTED_VALUE;
  if (typeof value === 'string' && isCredentialValue(value)) {
    // A URL keeps scheme, host and path prefix (so it can be recognised); anything else is hidden whole.
    const masked = maskCredentialUrl(value);
    return masked !== value ? masked : REDACTED_VALUE;
  }
  return value;
}
