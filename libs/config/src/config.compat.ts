import { envNameForPath, setPath } from './config.env';
import { isPlainObject } from './config.merge';

/**
 * Keys of the reference implementation and of the deployment document, mapped onto Mira's own.
 * `to: null` means the setting has no counterpart (it is dropped with a warning saying why);
 * `deprecated: false` is a plain alias, accepted without a warning.
 */
export interface CompatRule {
  from: string;
  to: string | null;
  deprecated: boolean;
  map?: (value: unknown) => unknown;
  /** For a dropped key: what to use instead. */
  instead?: string;
}

export const COMPAT_RULES: readonly CompatRule[] = [
  { from: 'logging.json_format', to: 'logging.json', deprecated: false },
  {
    from: 'logging.format',
    to: 'logging.json',
    deprecated: true,
    // The reference says `json` or `text`; anything but json is the human-readable form.
    map: (v) => (typeof v === 'string' ? v.trim().toLowerCase() === 'json' : v),
  },
  { from: 'webhook.secret_key', to: 'webhooks.default.secret', deprecated: true },
  { from: 'webhook.host', to: 'server.host', deprecated: true },
  { from: 'webhook.port', to: 'server.port', deprecated: true },
  {
    from: 'webhook.enabled',
    to: null,
    deprecated: true,
    instead: 'webhooks.<service>.enabled (webhooks are served on the API port)',
  },
  {
    from: 'broker.enabled',
    to: null,
    deprecated: true,
    instead: 'broker.transport (the broker is always on: memory or redis)',
  },
  {
    from: 'agents.orchestrator_agent',
    to: null,
    deprecated: true,
    instead: 'agents.<agent_id>.enabled (the orchestrator always routes)',
  },
];

export interface CompatResult {
  tree: Record<string, unknown>;
  /** One line per deprecated key found, naming the key to use instead. */
  deprecations: string[];
}

/**
 * Rewrites one layer (file or environment) from the old keys to the new. A new key set in the
 * same layer wins over its old spelling. `sources` (key path -> origin) is moved along, so an
 * error in a mapped value still names the variable or file that set it.
 */
export function applyCompat(
  layer: Record<string, unknown>,
  origin: (path: string) => string,
  sources?: Map<string, string>,
): CompatResult {
  const tree = copyTree(layer);
  const deprecations: string[] = [];
  for (const rule of COMPAT_RULES) {
    const parts = rule.from.split('.');
    const parent = walk(tree, parts.slice(0, -1));
    const leaf = parts[parts.length - 1];
    if (!parent || !Object.hasOwn(parent, leaf)) continue;
    const value = parent[leaf];
    delete parent[leaf];
    const where = origin(rule.from);
    if (rule.to && walkValue(tree, rule.to) === undefined) {
      setPath(tree, rule.to, rule.map ? rule.map(value) : value);
      const source = sources?.get(rule.from);
      if (source) sources!.set(rule.to, source);
    }
    sources?.delete(rule.from);
    if (rule.deprecated) {
      deprecations.push(
        rule.to
          ? `${where} is deprecated; use ${rule.to} (env ${envNameForPath(rule.to)})`
          : `${where} is deprecated and ignored; use ${rule.instead}`,
      );
    }
    // An old section emptied by the mapping (`webhook: {}`) goes too; leftovers stay to be named.
    if (parts.length > 1 && Object.keys(parent).length === 0) delete tree[parts[0]];
  }
  return { tree, deprecations };
}

function walk(tree: Record<string, unknown>, parts: string[]): Record<string, unknown> | null {
  let node: unknown = tree;
  for (const p of parts) {
    if (!isPlainObject(node) || !Object.hasOwn(node, p)) return null;
    node = node[p];
  }
  return isPlainObject(node) ? node : null;
}

function walkValue(tree: Record<string, unknown>, path: string): unknown {
  const parts = path.split('.');
  const parent = walk(tree, parts.slice(0, -1));
  return parent && Object.hasOwn(parent, parts[parts.length - 1])
    ? parent[parts[parts.length - 1]]
    : undefined;
}

/** A copy of the object spine (leaves shared), so mapping never edits the caller's layer. */
function copyTree(node: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) out[k] = isPlainObject(v) ? copyTree(v) : v;
  return out;
}
