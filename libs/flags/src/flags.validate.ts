/**
 * Checks a flagd flag definition before it is served: the structure flagd-core needs, and every
 * JSON Logic operator of its targeting known (flagd-core would only fail at evaluation, with no
 * path). Each problem names the flag and the JSON Logic path, e.g. `targeting.if[0].frobnicate`.
 */

// JSON Logic (json-logic-engine, as used by flagd-core) plus flagd's own operators.
const OPERATORS = new Set([
  'var',
  'missing',
  'missing_some',
  'if',
  '?:',
  '==',
  '===',
  '!=',
  '!==',
  '!',
  '!!',
  'or',
  'and',
  '>',
  '>=',
  '<',
  '<=',
  'max',
  'min',
  '+',
  '-',
  '*',
  '/',
  '%',
  'map',
  'reduce',
  'filter',
  'all',
  'none',
  'some',
  'merge',
  'in',
  'cat',
  'substr',
  'preserve',
  'val',
  'exists',
  'length',
  'get',
  'fractional',
  'sem_ver',
  'starts_with',
  'ends_with',
]);

export interface FlagProblem {
  /** Path inside the flag definition (`targeting.if[0].frobnicate`, `defaultVariant`). */
  path: (string | number)[];
  message: string;
}

function walk(node: unknown, path: (string | number)[], out: FlagProblem[]): void {
  if (Array.isArray(node)) {
    node.forEach((item, i) => walk(item, [...path, i], out));
    return;
  }
  if (node === null || typeof node !== 'object') return;
  const keys = Object.keys(node);
  if (keys.length !== 1) {
    out.push({ path, message: `a JSON Logic rule has exactly one operator, found ${keys.length}` });
    return;
  }
  const op = keys[0];
  if (!OPERATORS.has(op)) {
    out.push({ path: [...path, op], message: `unknown JSON Logic operator "${op}"` });
    return;
  }
  walk((node as Record<string, unknown>)[op], [...path, op], out);
}

export function validateFlagDefinition(flag: {
  state: string;
  variants: Record<string, unknown>;
  defaultVariant: string | null;
  targeting?: unknown;
}): FlagProblem[] {
  const out: FlagProblem[] = [];
  const variants = Object.keys(flag.variants);
  if (variants.length === 0) out.push({ path: ['variants'], message: 'declare at least one variant' });
  if (flag.defaultVariant !== null && !Object.hasOwn(flag.variants, flag.defaultVariant))
    out.push({
      path: ['defaultVariant'],
      message: `"${flag.defaultVariant}" is not one of the variants (${variants.join(', ')})`,
    });
  const types = new Set(Object.values(flag.variants).map((v) => (v === null ? 'null' : typeof v)));
  if (types.size > 1)
    out.push({
      path: ['variants'],
      message: `all variants must have one type, found ${[...types].join(', ')}`,
    });
  if (flag.targeting !== undefined && flag.targeting !== null) {
    if (typeof flag.targeting !== 'object' || Array.isArray(flag.targeting))
      out.push({ path: ['targeting'], message: 'targeting is a JSON Logic object' });
    else if (Object.keys(flag.targeting).length > 0) walk(flag.targeting, ['targeting'], out);
  }
  return out;
}

/** `targeting.if[0].frobnicate` from a path array. */
export function formatPath(path: (string | number)[]): string {
  return path.reduce<string>(
    (acc, p) => (typeof p === 'number' ? `${acc}[${p}]` : acc ? `${acc}.${p}` : p),
    '',
  );
}
