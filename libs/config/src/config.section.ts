import { z } from 'zod';
import { ConfigError } from './config.error';

/** A key (or key pattern, `*` = one path segment) that takes effect without a restart, and who applies it. */
export interface LiveReloadRule {
  pattern: string;
  appliedBy: string;
}

/** A change that would let through a request the running config refuses; held until a restart. */
export interface HeldChange {
  /** Key path (or subtree) kept at its running value. */
  path: string;
  /** What the change would do, without values: `emptied`, `enabled -> disabled`, `removed`. */
  change: string;
}

/** What a section's cross-field `check` is given beside the config. */
export interface ConfigCheckContext {
  /** The environment the config was loaded from (the loader's `env` option, else process.env). */
  env: NodeJS.ProcessEnv;
}

/** What a lib (or plugin) declares about its top-level config key. Paths are relative to the key. */
export interface ConfigSectionOptions<K extends string, S extends z.ZodType> {
  /** The top-level key (`broker`); lower case letters, digits and `_`. */
  key: K;
  /**
   * The section's schema: z.strictObject (unknown keys stay an error) with `.prefault({})`, or any
   * schema with a default, so an absent section validates to its defaults.
   */
  schema: S;
  /** Named variables, key path -> variable (`{ level: 'MIRA_LOG_LEVEL' }`; `''` is the key itself). The generic MIRA_<KEY>__<PATH> form always works. */
  env?: Readonly<Record<string, string>>;
  /** Variables of other tools honoured when no MIRA_* variable sets the key (`{ 'vault.url': 'VAULT_ADDR' }`). */
  fallbackEnv?: Readonly<Record<string, string>>;
  /**
   * Keys that reload live, pattern -> who applies the new value (`{ queue_size: 'BrokerService.reconfigure' }`,
   * `'*'` = any one segment, `''` = the key itself). Every other key of the section waits for a restart.
   */
  reload?: Readonly<Record<string, string>>;
  /**
   * Changes of live keys that must still wait for a restart (they weaken a guard: a truncated
   * write looks exactly like them). Gets the running and desired section values; returns full paths.
   */
  holdOnReload?: (running: z.output<S>, desired: z.output<S>) => HeldChange[];
  /**
   * A rule that spans sections, run on the whole validated config; throws a ConfigError naming the key.
   * `context.env` is the environment the loader read (its `env` option, else process.env): read
   * NODE_ENV there, never process.env, so a test's or a CLI's environment decides.
   */
  check?: (config: Readonly<Record<string, any>>, context: ConfigCheckContext) => void;
  /** Placeholder names of record keys for docs/configuration.md, relative path -> `<name>` (`{ '': '<service>' }`). */
  recordKeys?: Readonly<Record<string, string>>;
  /** Who owns the section (`libs/broker`, a plugin's package name); a second owner of the same key is refused. */
  owner?: string;
}

/**
 * A config section: built by defineConfigSection, registered by ConfigModule.forFeature(section).
 * Read it typed with `configStore.section(section)` (the current snapshot's value, live keys
 * included); core sections can also be read with `configStore.get('<key>')`.
 */
export interface ConfigSection<K extends string = string, S extends z.ZodType = z.ZodType> {
  readonly key: K;
  readonly schema: S;
  readonly owner: string;
  /** Variable -> full key path. */
  readonly env: Readonly<Record<string, string>>;
  readonly fallbackEnv: Readonly<Record<string, string>>;
  /** Full key patterns. */
  readonly reload: readonly LiveReloadRule[];
  readonly holdOnReload?: (running: z.output<S>, desired: z.output<S>) => HeldChange[];
  readonly check?: (config: Readonly<Record<string, any>>, context: ConfigCheckContext) => void;
  /** Full path -> placeholder. */
  readonly recordKeys: Readonly<Record<string, string>>;
}

/** The validated value of a section. */
export type ConfigSectionValue<T extends ConfigSection> = z.output<T['schema']>;

/**
 * What sections add to MiraConfig and MiraConfigInput, for the module augmentation beside them
 * (one line each, for one section or a union of several):
 * `declare module '@mira/config' { interface MiraConfig extends ConfigSectionsOutput<typeof x> {} }`.
 */
export type ConfigSectionsOutput<T extends ConfigSection> = { [S in T as S['key']]: z.output<S['schema']> };
export type ConfigSectionsInput<T extends ConfigSection> = { [S in T as S['key']]?: z.input<S['schema']> };

const SECTION_KEY = /^[a-z][a-z0-9_]*$/;
const full = (key: string, path: string) => (path === '' ? key : `${key}.${path}`);

function invalid(key: string, why: string): ConfigError {
  return new ConfigError('CONFIG_SECTION_INVALID', `Config section "${key}": ${why}`, key);
}

/**
 * Declares a lib's (or plugin's) config section, in the spirit of @nestjs/config's registerAs:
 * its schema and defaults, environment names, which keys reload live and what holds on reload.
 * Register it with `ConfigModule.forFeature(section)` in the owning module's imports, so it is
 * known (at require time) before the bootstrap's loadConfig() validates the whole.
 *
 * @example
 * export const exampleConfig = defineConfigSection({
 *   key: 'example',
 *   schema: z.strictObject({ greeting: z.string().default('hi') }).prefault({}),
 *   reload: { greeting: 'ExampleService (read per request)' },
 * });
 * // in a provider: this.config.section(exampleConfig).greeting
 */
export function defineConfigSection<const K extends string, S extends z.ZodType>(
  options: ConfigSectionOptions<K, S>,
): ConfigSection<K, S> {
  const { key, schema } = options;
  if (!SECTION_KEY.test(key)) throw invalid(key, 'the key must be lower case letters, digits and "_"');
  const def = unwrapped(schema);
  if (def.type === 'object' && def.catchall?._zod?.def?.type !== 'never')
    throw invalid(key, 'use z.strictObject(...) so an unknown key stays an error');
  if (!schema.safeParse(undefined).success)
    throw invalid(key, 'an absent section must validate: add .prefault({}) or .default(...)');
  const entries = <T>(r: Readonly<Record<string, T>> | undefined) => Object.entries(r ?? {});
  return Object.freeze({
    key,
    schema,
    owner: options.owner ?? key,
    env: Object.fromEntries(entries(options.env).map(([p, v]) => [v, full(key, p)])),
    fallbackEnv: Object.fromEntries(entries(options.fallbackEnv).map(([p, v]) => [v, full(key, p)])),
    reload: entries(options.reload).map(([p, appliedBy]) => ({ pattern: full(key, p), appliedBy })),
    holdOnReload: options.holdOnReload,
    check: options.check,
    recordKeys: Object.fromEntries(entries(options.recordKeys).map(([p, v]) => [full(key, p), v])),
  });
}

function unwrapped(schema: z.ZodType): Record<string, any> {
  let d = schema._zod.def as unknown as Record<string, any>;
  while (['default', 'prefault', 'optional', 'nullable', 'pipe'].includes(d.type))
    d = (d.type === 'pipe' ? d.out : d.innerType)._zod.def;
  return d;
}

/**
 * The registered sections and what is derived from them. Kept on globalThis so every copy of this
 * lib in one process (a plugin resolving its own, a test re-requiring modules) shares one registry.
 */
interface Registry {
  sections: ConfigSection[];
  version: number;
  namedEnv: Record<string, string>;
  fallbackEnv: Record<string, string>;
  liveRules: LiveReloadRule[];
  composed: { version: number; schema: z.ZodObject } | null;
}

const REGISTRY = Symbol.for('mira.config.sections');

export function registry(): Registry {
  const g = globalThis as { [REGISTRY]?: Registry };
  g[REGISTRY] ??= {
    sections: [],
    version: 0,
    namedEnv: {},
    fallbackEnv: {},
    liveRules: [],
    composed: null,
  };
  return g[REGISTRY];
}

/**
 * Adds a section to the composed configuration. The same section again is a no-op; a new
 * definition from the same owner (a module evaluated again) replaces it in place; another owner
 * of the key is refused.
 */
export function registerConfigSection(section: ConfigSection): void {
  const r = registry();
  // A variable names one key: a section taking over another's (MIRA_LOG_LEVEL, VAULT_ADDR)
  // would silently change what an operator's environment sets.
  for (const [variable, path] of [...Object.entries(section.env), ...Object.entries(section.fallbackEnv)]) {
    const taken = r.sections.find(
      (s) => s.key !== section.key && (s.env[variable] ?? s.fallbackEnv[variable]) !== undefined,
    );
    if (taken)
      throw new ConfigError(
        'CONFIG_SECTION_CONFLICT',
        `Config section "${section.key}" names the environment variable ${variable} for ${path}, but ${taken.owner} already uses it for ${taken.env[variable] ?? taken.fallbackEnv[variable]}; choose another variable name`,
        path,
      );
  }
  const at = r.sections.findIndex((s) => s.key === section.key);
  if (at >= 0) {
    const existing = r.sections[at];
    if (existing === section) return;
    if (existing.owner !== section.owner)
      throw new ConfigError(
        'CONFIG_SECTION_CONFLICT',
        `Config section "${section.key}" is defined by both ${existing.owner} and ${section.owner}; rename one of them`,
        section.key,
      );
    r.sections[at] = section;
  } else r.sections.push(section);
  r.version++;
  // Derived views are updated in place: the exported objects stay the same references.
  for (const k of Object.keys(r.namedEnv)) delete r.namedEnv[k];
  for (const k of Object.keys(r.fallbackEnv)) delete r.fallbackEnv[k];
  r.liveRules.length = 0;
  for (const s of r.sections) {
    Object.assign(r.namedEnv, s.env);
    Object.assign(r.fallbackEnv, s.fallbackEnv);
    r.liveRules.push(...s.reload);
  }
}

/** The registered sections, in registration order. */
export function configSections(): readonly ConfigSection[] {
  return registry().sections;
}

/** The whole configuration's schema: a strict object of every registered section. */
export function composedConfigSchema(): z.ZodObject {
  const r = registry();
  if (r.composed?.version !== r.version)
    r.composed = {
      version: r.version,
      schema: z.strictObject(Object.fromEntries(r.sections.map((s) => [s.key, s.schema]))),
    };
  return r.composed.schema;
}
