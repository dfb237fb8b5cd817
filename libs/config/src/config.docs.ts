import type { z } from 'zod';
import { COMPAT_RULES } from './config.compat';
import {
  DEPRECATED_ENV_VARS,
  envNameForPath,
  FALLBACK_ENV_VARS,
  NAMED_ENV_VARS,
  OTHER_ENV_VARS,
} from './config.env';
import { MAX_LISTED_ISSUES } from './config.loader';
import { getPath } from './config.merge';
import { LIVE_RELOAD_RULES, liveReloadRule } from './config.reload-policy';
import { composedConfigSchema, configSections } from './config.section';

/** Placeholders for the keys of record sections (`agents.<agent_id>.enabled`), from each section's `recordKeys`. */
function recordKeyNames(): Record<string, string> {
  return Object.assign({}, ...configSections().map((s) => s.recordKeys));
}

export interface ConfigKeyDoc {
  path: string;
  type: string;
  default: unknown;
  env: string[];
  live: boolean;
  appliedBy: string | null;
}

type AnySchema = z.core.$ZodType;
const def = (s: AnySchema) => s._zod.def as unknown as Record<string, any>;

/** Unwraps default/prefault/pipe/optional wrappers; notes nullability. */
function unwrap(schema: AnySchema): { inner: AnySchema; nullable: boolean } {
  let s = schema;
  let nullable = false;
  for (;;) {
    const d = def(s);
    if (d.type === 'default' || d.type === 'prefault' || d.type === 'optional') s = d.innerType;
    else if (d.type === 'nullable') {
      nullable = true;
      s = d.innerType;
    } else if (d.type === 'pipe') s = d.out;
    else return { inner: s, nullable };
  }
}

function range(min: number | null, max: number | null, int: boolean): string {
  const lo = min !== null && Number.isFinite(min) && !(int && min <= Number.MIN_SAFE_INTEGER) ? min : null;
  const hi = max !== null && Number.isFinite(max) && !(int && max >= Number.MAX_SAFE_INTEGER) ? max : null;
  if (lo !== null && hi !== null) return ` ${lo}..${hi}`;
  if (lo !== null) return ` >= ${lo}`;
  if (hi !== null) return ` <= ${hi}`;
  return '';
}

function typeName(schema: AnySchema): string {
  // A schema's own .describe() text wins: for values checked by code (registered names).
  const described = (schema as z.ZodType).description;
  if (described) return described;
  const { inner, nullable } = unwrap(schema);
  const d = def(inner);
  let t: string;
  switch (d.type) {
    case 'number': {
      const n = inner as unknown as { minValue: number | null; maxValue: number | null; isInt: boolean };
      t = `${n.isInt ? 'integer' : 'number'}${range(n.minValue, n.maxValue, n.isInt)}`;
      break;
    }
    case 'enum':
      t = `one of ${Object.values(d.entries as Record<string, string>).join(', ')}`;
      break;
    case 'union':
      t = `one of ${(d.options as AnySchema[]).map((o) => (def(o).values ?? [typeName(o)]).join(', ')).join(', ')}`;
      break;
    case 'array':
      t = `list of ${typeName(d.element)} (comma-separated in env)`;
      break;
    default:
      t = String(d.type);
  }
  return nullable ? `${t} or null` : t;
}

function envVars(path: string): string[] {
  const named = Object.entries(NAMED_ENV_VARS)
    .filter(([, p]) => p === path)
    .map(([v]) => v);
  const fallback = Object.entries(FALLBACK_ENV_VARS)
    .filter(([, p]) => p === path)
    .map(([v]) => v);
  // A named variable can be the generic name too (`modules` -> MIRA_MODULES): listed once.
  return [...new Set([...named, envNameForPath(path), ...fallback])];
}

function walk(
  schema: AnySchema,
  path: string,
  defaults: unknown,
  out: ConfigKeyDoc[],
  names: Record<string, string>,
): void {
  const { inner } = unwrap(schema);
  const d = def(inner);
  if (d.type === 'object') {
    for (const [key, child] of Object.entries(d.shape as Record<string, AnySchema>)) {
      const childPath = path ? `${path}.${key}` : key;
      walk(child, childPath, getPath(defaults, key), out, names);
    }
    return;
  }
  if (d.type === 'record') {
    const placeholder = names[path] ?? '<name>';
    const value = d.valueType as AnySchema;
    // Defaults of one entry: what an absent value (scalars) or `{}` (objects) becomes.
    const entry = value as z.ZodType;
    const entryDefaults = entry.safeParse(undefined).data ?? entry.safeParse({}).data;
    walk(value, `${path}.${placeholder}`, entryDefaults, out, names);
    return;
  }
  const rule = liveReloadRule(path.replace(/<[^>]+>/g, '*'));
  out.push({
    path,
    type: typeName(schema),
    default: defaults,
    env: envVars(path),
    live: rule !== undefined,
    appliedBy: rule?.appliedBy ?? null,
  });
}

/** Every leaf key of the registered sections, in registration order. */
export function describeConfigKeys(): ConfigKeyDoc[] {
  const out: ConfigKeyDoc[] = [];
  const schema = composedConfigSchema();
  walk(schema, '', schema.parse({}), out, recordKeyNames());
  return out;
}

function formatDefault(v: unknown): string {
  if (v === undefined) return '(none)';
  return `\`${JSON.stringify(v)}\``;
}

const cell = (s: string) => s.replace(/\|/g, '\\|');

/** docs/configuration.md, generated from the registered sections (`npm run docs:config`). */
export function generateConfigReference(): string {
  const keys = describeConfigKeys();
  const sections = [...new Set(keys.map((k) => k.path.split('.')[0]))];
  const lines: string[] = [
    '# Configuration reference',
    '',
    '<!-- Generated from the config sections (defineConfigSection) by `npm run docs:config`. Do not edit by hand:',
    '     a unit test (libs/config/src/config.docs.spec.ts) fails when this file is out of date. -->',
    '',
    'Mira reads a YAML (or `.json`) file, then layers: **defaults < file < overrides < environment**.',
    'Each section below is declared by the lib that owns it (or by a plugin module) with `defineConfigSection`',
    'and registered with `ConfigModule.forFeature`; a key no registered section knows is an error.',
    'The file is `MIRA_CONFIG_FILE`, else `config/mira.yaml` when present. Every key can be set from the',
    'environment with the generic form (the path upper-cased, parts joined by `__`, prefixed `MIRA_`);',
    'some keys also have a named variable. Environment values keep overriding the file after every reload.',
    `Other variables read by the service: ${OTHER_ENV_VARS.map((v) => `\`${v}\``).join(', ')}.`,
    '',
    '## Hot reload',
    '',
    'With `config.hot_reload: true` (or `MIRA_CONFIG_HOT_RELOAD=true`) the service watches the directory of',
    'the config file, so in-place writes, editor-style atomic saves (temp file + rename) and Kubernetes',
    'ConfigMap updates (the kubelet swaps the `..data` symlink) are all seen. After `config.debounce_ms`',
    'the file is read again through its symlinks and its sha256 compared with the last content seen: no',
    'reload happens when it did not change. A changed file is read a second time `config.stable_ms` later',
    'and applied only when both reads agree (content, size, mtime, inode), so a half-written file is never',
    'applied. `config.watch_mode`: `auto` (native watching, polling every `config.poll_interval` seconds if',
    'native watching fails), `native`, or `poll`; native watching is also backed by a check every',
    '`config.poll_interval` seconds, because some changes fire no event (a file replaced by a directory).',
    '',
    'A reload is a transaction: parse, layer, validate with the same schema as at start, resolve',
    '`secret://<name>:<key>` references, then swap the snapshot atomically. An invalid or unreadable file',
    '(missing, a directory, permission denied) keeps the last good configuration, logs one error naming',
    'the key or the file, and reports the `configuration` check `degraded` on `/healthz` with the reason;',
    'the next valid write recovers.',
    '',
    'What a failed or cut-short write looks like is never applied, even when it validates:',
    '',
    '- **An empty document** (empty file, blanks or comments only, `{}`): held, `degraded`.',
    '- **A document that lost top-level sections** the running file had (a write cut mid-line still',
    '  parses, and everything after the cut is gone): held whole, `degraded`, naming the sections.',
    '  Restore them, or restart to start from the file as it is. To remove a section on purpose, restart.',
    '- **A change that weakens authentication**: `api.keys` reduced to no usable key, `api.auth` switched',
    '  to `disabled`, `api.protect_metrics` switched off, a `webhooks.<service>.secret` removed or nulled',
    '  (or its service removed). These keys keep their running values and are listed under',
    '  `pending_restart`; the check is `degraded` with the keys named (never values); the rest of the',
    '  file applies. A restart applies them under the start-up rules (e.g. production refuses to start',
    '  without keys). Removing some keys while at least one stays is a rotation and applies live.',
    '- **A change that weakens governance review**: `governance.financial_threshold` or',
    '  `compliance_threshold` raised, `explainability_threshold` lowered, any `approvals_required` lowered,',
    '  `allow_self_approval` switched on, and per `governance.policies.<name>`: `minimum_risk` lowered,',
    '  `when_unassessed` switched to `run`, the policy removed (or a new one weaker than the default it',
    '  replaces). Held and reported like the above; the opposite changes (tightening) apply live, so a',
    '  write that resets the section to its defaults never lowers review (see docs/governance.md).',
    '',
    'Keys marked **live** below take effect without a restart. A change to any other key is logged as',
    'requiring a restart and is not applied: the running value stays in force (listed under',
    '`pending_restart` in the `configuration` health check) until the service restarts.',
    '',
    'Mount a ConfigMap as a directory. A file mounted with `subPath` is never updated by Kubernetes; the',
    'service warns at start when it detects one.',
    '',
    'Live keys:',
    '',
    ...LIVE_RELOAD_RULES.map((r) => `- \`${r.pattern}\`: applied by ${r.appliedBy}`),
    '',
    '## Errors',
    '',
    `An invalid configuration stops the start with exit code 1 and lists every problem (up to ${MAX_LISTED_ISSUES}),`,
    'each as `key: reason (set by file <path>)` or `(set by env MIRA_...)`; a YAML syntax error keeps',
    "the parser's line, column and code frame (values of secret-looking keys masked).",
    'An unknown key names the closest known key at its level when one is a likely typo',
    '(`loging: unknown key, did you mean logging?`); a value from the environment that has the wrong',
    'type is quoted back (`(received "5s")`) unless its key or value looks secret.',
    '',
    '## Compatibility with the reference implementation',
    '',
    'These keys are accepted and mapped; each deprecated one logs one warning naming the key to use.',
    'Log levels are accepted in any case (`INFO`), and `WARNING` / `CRITICAL` mean `warn` / `fatal`.',
    '',
    '| Old key | Use instead | Warning |',
    '| --- | --- | --- |',
    ...COMPAT_RULES.map(
      (r) =>
        `| \`${r.from}\` | ${r.to ? `\`${r.to}\`` : `ignored: ${cell(r.instead ?? '')}`} | ${r.deprecated ? 'deprecated' : 'alias, none'} |`,
    ),
    ...Object.entries(DEPRECATED_ENV_VARS).map(
      ([v, from]) =>
        `| \`${v}\` (env) | as \`${from}\`: \`${COMPAT_RULES.find((r) => r.from === from)?.to}\` | deprecated |`,
    ),
    '',
    '`webhooks.default.secret` is not a service: it signs every webhook service that has no secret of its own.',
    '',
  ];
  for (const section of sections) {
    lines.push(
      `## \`${section}\``,
      '',
      '| Key | Type | Default | Environment | Reload |',
      '| --- | --- | --- | --- | --- |',
    );
    for (const k of keys.filter((x) => x.path.split('.')[0] === section)) {
      lines.push(
        `| \`${cell(k.path)}\` | ${cell(k.type)} | ${cell(formatDefault(k.default))} | ${k.env.map((e) => `\`${e}\``).join(', ')} | ${k.live ? 'live' : 'restart'} |`,
      );
    }
    lines.push('');
  }
  return lines.join('\n');
}
