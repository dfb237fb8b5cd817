import { z } from 'zod';

export type JsonSchema = Record<string, unknown>;
export const ref = (name: string): JsonSchema => ({ $ref: `#/components/schemas/${name}` });

/** zod -> OpenAPI 3.0 schema object (the same export the validation pipe's bodies use). */
export function toSchema(schema: z.ZodType, io: 'input' | 'output' = 'output'): JsonSchema {
  const out = z.toJSONSchema(schema, { target: 'openapi-3.0', io, unrepresentable: 'any' }) as JsonSchema;
  delete out.$schema;
  return tidy(out) as JsonSchema;
}

// `nullable` needs a `type` beside it in OpenAPI 3.0; an untyped schema accepts null already.
function tidy(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(tidy);
  if (!node || typeof node !== 'object') return node;
  const out: JsonSchema = {};
  for (const [k, v] of Object.entries(node)) out[k] = tidy(v);
  if (out.nullable === true && out.type === undefined) delete out.nullable;
  return out;
}
