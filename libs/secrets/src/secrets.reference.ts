import { SECRET_REF_PREFIX } from './secrets.constants';
import { SecretsError } from './secrets.error';

/** `secret://<name>[:<key>][?default=<url-encoded value>]` */
export interface SecretReference {
  /** The reference as written (safe to log: it holds no secret value). */
  raw: string;
  name: string;
  key: string | undefined;
  /** Present for optional references: used when the secret does not exist or cannot be read at start. */
  default?: string;
}

export function isSecretReference(value: unknown): value is string {
  return typeof value === 'string' && value.startsWith(SECRET_REF_PREFIX);
}

/**
 * A `secret://` reference not (yet) replaced by the secrets module. Never usable as a key or
 * secret: its text sits in config files and would otherwise be accepted as a credential.
 */
export function isUnresolvedReference(value: string): boolean {
  return isSecretReference(value);
}

/** Parses a reference; throws a SecretsError naming the malformed reference. */
export function parseSecretReference(raw: string): SecretReference {
  const body = raw.slice(SECRET_REF_PREFIX.length);
  const q = body.indexOf('?');
  const path = q === -1 ? body : body.slice(0, q);
  const colon = path.lastIndexOf(':');
  const name = colon === -1 ? path : path.slice(0, colon);
  const key = colon === -1 ? undefined : path.slice(colon + 1);
  if (!name || key === '') {
    throw new SecretsError(
      'SECRET_NAME_INVALID',
      `Malformed secret reference ${raw.split('?')[0]}: write secret://<name>:<key> (optionally ?default=<value>)`,
    );
  }
  const ref: SecretReference = { raw: raw.split('?')[0], name, key };
  if (q !== -1) {
    const params = new URLSearchParams(body.slice(q + 1));
    const unknown = [...params.keys()].filter((k) => k !== 'default');
    if (unknown.length > 0)
      throw new SecretsError(
        'SECRET_NAME_INVALID',
        `Secret reference ${ref.raw} has unknown option ${unknown[0]}; only ?default=<value> is supported`,
      );
    const def = params.get('default');
    if (def !== null) ref.default = def;
  }
  return ref;
}

export interface ReferenceSite {
  /** Dotted config path of the key holding the reference (array items as `api.keys.0`). */
  path: string;
  /** The config string as written, options included. */
  value: string;
  ref: SecretReference;
}

/** Every `secret://` string leaf in a config tree. */
export function findReferences(tree: unknown, prefix = ''): ReferenceSite[] {
  if (isSecretReference(tree)) return [{ path: prefix, value: tree, ref: parseSecretReference(tree) }];
  if (Array.isArray(tree))
    return tree.flatMap((v, i) => findReferences(v, prefix ? `${prefix}.${i}` : String(i)));
  if (typeof tree === 'object' && tree !== null)
    return Object.entries(tree).flatMap(([k, v]) => findReferences(v, prefix ? `${prefix}.${k}` : k));
  return [];
}

/** A copy of `tree` with every reference string replaced through `lookup` (which returns the value). */
export function replaceReferences(tree: unknown, lookup: (raw: string) => string): unknown {
  if (isSecretReference(tree)) return lookup(tree);
  if (Array.isArray(tree)) return tree.map((v) => replaceReferences(v, lookup));
  if (typeof tree === 'object' && tree !== null)
    return Object.fromEntries(Object.entries(tree).map(([k, v]) => [k, replaceReferences(v, lookup)]));
  return tree;
}
