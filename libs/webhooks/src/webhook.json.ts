/**
 * JSON.parse refusing what Fastify's parser refuses on the API (secure-json-parse with
 * `onProtoPoisoning: 'error'` and `onConstructorPoisoning: 'error'`): a `__proto__` key anywhere,
 * or a `constructor` object with a `prototype` key. Such a body is not valid input, so it is
 * refused rather than cleaned: no consumer of a webhook event ever merges a poisoned object.
 * The scan is iterative (a deep body is the depth limit's to refuse, not a stack overflow's) and
 * runs only when the text mentions one of the keys, as secure-json-parse does.
 */
export function safeJsonParse(text: string): unknown {
  const value: unknown = JSON.parse(text);
  if (!text.includes('__proto__') && !text.includes('constructor')) return value;
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const node = pending.pop();
    if (typeof node !== 'object' || node === null) continue;
    if (!Array.isArray(node)) {
      if (Object.hasOwn(node, '__proto__')) throw poisoned();
      const ctor = (node as Record<string, unknown>).constructor;
      if (
        Object.hasOwn(node, 'constructor') &&
        typeof ctor === 'object' &&
        ctor !== null &&
        Object.hasOwn(ctor, 'prototype')
      )
        throw poisoned();
    }
    for (const child of Object.values(node))
      if (typeof child === 'object' && child !== null) pending.push(child);
  }
  return value;
}

function poisoned(): SyntaxError {
  return new SyntaxError('Object contains forbidden prototype property');
}
