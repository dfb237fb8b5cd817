import { EdgeLimitError } from './edge-limit.error';

/**
 * True when `value` nests objects/arrays deeper than `max` (the top-level object is depth 1).
 * Iterative with an explicit stack, so a body nested 100,000 levels cannot overflow the call
 * stack here the way recursive code (serialisation, spreading, cloning) would later.
 */
export function nestsDeeperThan(value: unknown, max: number): boolean {
  if (value === null || typeof value !== 'object') return false;
  const values: object[] = [value];
  const depths: number[] = [1];
  while (values.length > 0) {
    const node = values.pop()!;
    const depth = depths.pop()!;
    if (depth > max) return true;
    const children = Array.isArray(node) ? node : Object.values(node);
    for (const child of children) {
      if (child !== null && typeof child === 'object') {
        values.push(child as object);
        depths.push(depth + 1);
      }
    }
  }
  return false;
}

export function jsonTooDeep(max: number): EdgeLimitError {
  return new EdgeLimitError(
    'JSON_TOO_DEEP',
    400,
    `Request body nests deeper than server.max_json_depth (${max} levels): send flatter data`,
  );
}

/**
 * Fastify's reply serializer (JSON.stringify, as Fastify's default for routes without a response
 * schema) refusing answers over `maxBytes`: an answer grows with the request that asked for it,
 * and one that big is refused with a 422 naming the limit rather than buffered and sent.
 */
export function boundedJsonSerializer(maxBytes: number): (payload: unknown) => string {
  return (payload) => {
    const text = JSON.stringify(payload);
    // UTF-8 takes 1-3 bytes per UTF-16 unit: only the uncertain middle needs counting.
    if (text.length * 3 <= maxBytes) return text;
    const bytes = Buffer.byteLength(text);
    if (bytes <= maxBytes) return text;
    throw new EdgeLimitError(
      'RESPONSE_TOO_LARGE',
      422,
      `The answer would be ${bytes} bytes, over server.max_response_bytes (${maxBytes}): ask for less ` +
        '(fewer goals, tasks or items per request) or raise the limit',
    );
  };
}
