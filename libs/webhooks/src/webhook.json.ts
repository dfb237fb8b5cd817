/**
 * JSON.parse refusing what Fastify's parser refuses on the API (secure-json-parse with
 * `onProtoPoisoning: 'error'` and `onConstructorPoisoning: 'error'`): a `__proto__` key anywhere,
 * or a `constructor` object with a `prototype` key. Such a body is not valid input, so it is
 * refused rather than cleaned: no consumer of a webhook event ever merges a poisoned object.
 * The scan is iterative (a deep body is the depth limit's to refuse, not a stack overflow's) and
 * is skipped only when the text can hold neither key: no plain spelling and no `\u` escape (a key
 * like `"\u005f_proto__"` is `__proto__` once parsed; JSON has no other way to escape a letter).
 */
export function safeJsonParse(text: string): unknown {
  const value: unknown = JSON.parse(text);
  if (!text.includes('__proto__') && !text.includes('constructor') && !text.includes('\\u')) return value;
  rejectPoisoned(value);
  return value;
}

/** Throws a SyntaxError when `value` holds a `__proto__` key or a `constructor.prototype` anywhere. */
export function rejectPoisoned(value: unknown): void {
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
}

function poisoned(): SyntaxError {
  return new SyntaxError('Object contains forbidden prototype property');
}
