import { isIP } from 'node:net';
import { z } from 'zod';
import { defineConfigSection, registerConfigSection, composedConfigSchema } from './config.section';

// Environment values arrive as strings: these helpers accept both the typed value (from
// YAML/JSON) and its string form (from MIRA_* variables) so one schema serves both layers.
export const num = (def: number, min = Number.NEGATIVE_INFINITY, max = Number.POSITIVE_INFINITY) =>
  z
    .preprocess(
      (v) => (typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v)) ? Number(v) : v),
      z.number().min(min).max(max),
    )
    .default(def);
export const int = (def: number, min = 0, max = Number.MAX_SAFE_INTEGER) =>
  z
    .preprocess(
      (v) => (typeof v === 'string' && /^-?\d+$/.test(v.trim()) ? Number(v) : v),
      z.number().int().min(min).max(max),
    )
    .default(def);
export const bool = (def: boolean) =>
  z
    .preprocess((v) => {
      if (typeof v !== 'string') return v;
      const s = v.trim().toLowerCase();
      if (['true', '1', 'yes', 'on'].includes(s)) return true;
      if (['false', '0', 'no', 'off'].includes(s)) return false;
      return v;
    }, z.boolean())
    .default(def);
/** An environment value `a, b` is the list [a, b]; file values are lists already. */
export const splitCommas = (v: unknown) =>
  typeof v === 'string'
    ? v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : v;
export const list = (def: string[]) => z.preprocess(splitCommas, z.array(z.string())).default(def);

/** proxy-addr's named ranges, accepted by Fastify's trustProxy next to addresses and CIDRs. */
const PROXY_RANGE_NAMES = ['loopback', 'linklocal', 'uniquelocal'];

/** An address, `address/prefix`, `address/netmask` or a named range, as Fastify's trustProxy takes them. */
function isProxyAddress(entry: string): boolean {
  if (PROXY_RANGE_NAMES.includes(entry)) return true;
  const [addr, range, ...rest] = entry.split('/');
  const family = isIP(addr);
  if (family === 0 || rest.length > 0) return false;
  if (range === undefined) return true;
  if (/^\d+$/.test(range)) return Number(range) <= (family === 4 ? 32 : 128);
  return family === 4 && isIP(range) === 4;
}

/**
 * `server.trust_proxy`: false (default), true, or a list of proxy addresses/CIDRs, as Fastify's
 * trustProxy takes them; from the environment "true"/"false" or a comma-separated list. A hop
 * count is refused: Fastify 5.12 ignores it (it cannot tell a proxy from a client that adds hops).
 */
const trustProxy = z
  .preprocess(
    (v) => {
      if (typeof v !== 'string') return v;
      const s = v.trim();
      if (/^(true|false)$/i.test(s)) return s.toLowerCase() === 'true';
      if (/^\d+$/.test(s)) return Number(s);
      return s
        .split(',')
        .map((p) => p.trim())
        .filter(Boolean);
    },
    z.union(
      [
        z.boolean(),
        z
          .array(
            z.string().refine(isProxyAddress, {
              message: 'expected an IP address, a CIDR (10.0.0.0/8) or loopback/linklocal/uniquelocal',
            }),
          )
          .min(1),
      ],
      {
        error:
          'expected true, false or a list of proxy addresses/CIDRs (a hop count is not supported: ' +
          'list the addresses of your proxies or load balancers instead)',
      },
    ),
  )
  .default(false);

export const serverSchema = z
  .strictObject({
    host: z.string().default('0.0.0.0'),
    port: int(3000, 0, 65535),
    body_limit_bytes: int(1024 * 1024, 1024),
    // Answers are built from the request (plans grow with goals): one over this is refused, not sent.
    max_response_bytes: int(8 * 1024 * 1024, 1024),
    // Parsed JSON bodies nested deeper than this are refused (deep data overflows the stack later).
    max_json_depth: int(64, 1, 10000),
    // The whole request (headers and body) must arrive within this, else 408 and the socket is closed; 0 = none.
    request_timeout_ms: int(30000, 0),
    // A socket with no bytes in either direction this long is closed (slow readers, stalled bodies); 0 = none.
    idle_timeout_ms: int(60000, 0),
    trust_proxy: trustProxy,
  })
  .prefault({});

export const configSectionSchema = z
  .strictObject({
    hot_reload: bool(false),
    poll_interval: num(5, 0.05),
    debounce_ms: int(50, 0, 10000),
    // A changed file is read twice this far apart and applied only if both reads agree (content,
    // size, mtime): a half-written file is never applied. 0 applies after the debounce alone.
    stable_ms: int(300, 0, 60000),
    // auto: native watching, falling back to polling if it fails; native: no fallback; poll: polling only.
    watch_mode: z.enum(['auto', 'native', 'poll']).default('auto'),
  })
  .prefault({});

/** Extra Nest modules loaded at start (package names or paths to compiled files); read before loadConfig by readModuleList. */
export const modulesSchema = list([]);

// Free-form credentials and settings per integration (`integrations.jira.api_token`); values
// may be secret:// references, resolved and rotated like any other. Read with
// ConfigStore.integration(name).
export const integrationsSchema = z.record(z.string(), z.record(z.string(), z.unknown())).default({});

/** The keys every lib shares: the HTTP server (the app and the shutdown lib), this lib's own, plugins, integrations. */
export const serverConfig = defineConfigSection({
  key: 'server',
  schema: serverSchema,
  env: { port: 'PORT' },
  owner: 'libs/config',
});

export const configConfig = defineConfigSection({
  key: 'config',
  schema: configSectionSchema,
  env: { hot_reload: 'MIRA_CONFIG_HOT_RELOAD' },
  reload: {
    debounce_ms: 'ConfigReloadService (next file event)',
    stable_ms: 'ConfigReloadService (next file check)',
  },
  owner: 'libs/config',
});

// Not live: the module list is read once, before the modules are loaded.
export const modulesConfig = defineConfigSection({
  key: 'modules',
  schema: modulesSchema,
  env: { '': 'MIRA_MODULES' },
  owner: 'libs/config',
});

export const integrationsConfig = defineConfigSection({
  key: 'integrations',
  schema: integrationsSchema,
  reload: {
    '*.*':
      'the module owning the integration (ConfigStore.integration(name) read per use, or onChange("integrations.<name>"))',
  },
  recordKeys: { '': '<integration>', '<integration>': '<key>' },
  owner: 'libs/config',
});

export const CORE_CONFIG_SECTIONS = [serverConfig, configConfig, integrationsConfig, modulesConfig] as const;
for (const section of CORE_CONFIG_SECTIONS) registerConfigSection(section);

/**
 * The whole configuration: defaults < file < environment, validated at start and on every reload.
 * Each lib adds its section with `declare module '@mira/config' { interface MiraConfig extends
 * ConfigSectionsOutput<typeof <section>> {} }` (and MiraConfigInput) next to its defineConfigSection, so `ConfigStore.get('<key>')` is typed wherever the lib is compiled.
 */
export interface MiraConfig {
  server: z.output<typeof serverSchema>;
  config: z.output<typeof configSectionSchema>;
  integrations: z.output<typeof integrationsSchema>;
  modules: string[];
}

/** The input form of MiraConfig (every key optional, env strings accepted); augmented like MiraConfig. */
export interface MiraConfigInput {
  server?: z.input<typeof serverSchema>;
  config?: z.input<typeof configSectionSchema>;
  integrations?: z.input<typeof integrationsSchema>;
  modules?: z.input<typeof modulesSchema>;
}

/**
 * The composed schema of every section registered so far (a live view: it follows registrations).
 * `miraConfigSchema.parse({})` is the defaults of the whole configuration.
 */
export const miraConfigSchema = new Proxy({} as z.ZodType<MiraConfig, MiraConfigInput>, {
  get(_target, prop) {
    const schema = composedConfigSchema();
    const value = Reflect.get(schema, prop, schema);
    return typeof value === 'function' ? value.bind(schema) : value;
  },
});
