import type { z } from 'zod';

/** Edit distance (Levenshtein, with adjacent transpositions counted once). */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) => [i, ...Array<number>(cols - 1).fill(0)]);
  for (let j = 0; j < cols; j++) d[0][j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/**
 * The known key closest to `unknown`, when close enough to be a typo: at most a third of its
 * length in edits (at least 1, at most 3). Null when nothing is that close.
 */
export function closestKey(unknown: string, known: readonly string[]): string | null {
  const limit = Math.min(3, Math.max(1, Math.floor(unknown.length / 3)));
  let best: { key: string; distance: number } | null = null;
  for (const key of known) {
    const distance = editDistance(unknown.toLowerCase(), key.toLowerCase());
    if (distance <= limit && (!best || distance < best.distance)) best = { key, distance };
  }
  return best?.key ?? null;
}

type AnySchema = { _zod?: { def: Record<string, unknown> & { type: string } } };

/** Peels defaults, optionals, pipes (preprocess) and lazies off a schema. */
function unwrap(schema: AnySchema | undefined): AnySchema | undefined {
  let s = schema;
  for (let i = 0; i < 20 && s?._zod; i++) {
    const def = s._zod.def;
    if ('innerType' in def) s = def.innerType as AnySchema;
    else if (def.type === 'pipe')
      s =
        (def.in as AnySchema)?._zod?.def.type === 'transform'
          ? (def.out as AnySchema)
          : (def.in as AnySchema);
    else if (def.type === 'lazy') s = (def.getter as () => AnySchema)();
    else return s;
  }
  return s;
}

/** The keys an object schema at `path` allows (records and lists step into their values). */
export function knownKeysAt(schema: z.ZodType, path: readonly string[]): string[] {
  let nodes: (AnySchema | undefined)[] = [unwrap(schema as unknown as AnySchema)];
  for (const segment of path) {
    nodes = nodes.flatMap((node) => {
      const def = node?._zod?.def;
      if (!def) return [];
      if (def.type === 'object') return [unwrap((def.shape as Record<string, AnySchema>)[segment])];
      if (def.type === 'record') return [unwrap(def.valueType as AnySchema)];
      if (def.type === 'array') return [unwrap(def.element as AnySchema)];
      if (def.type === 'union') return (def.options as AnySchema[]).map((o) => unwrap(o));
      return [];
    });
    nodes = nodes.flatMap((n) =>
      n?._zod?.def.type === 'union' ? (n._zod.def.options as AnySchema[]).map((o) => unwrap(o)) : [n],
    );
  }
  const keys = nodes.flatMap((n) =>
    n?._zod?.def.type === 'object' ? Object.keys(n._zod.def.shape as Record<string, unknown>) : [],
  );
  return [...new Set(keys)];
}
