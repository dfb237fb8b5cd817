import { REDACTED, SENSITIVE_FIELDS, SENSITIVE_HEADERS } from './redaction.constants';

const FIELDS = new Set(SENSITIVE_FIELDS);
const HEADERS = new Set(SENSITIVE_HEADERS);

type Obj = Record<string, unknown>;

function isObject(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Only plain objects are walked: a class instance (a raw request, a socket, an Error) has
 * serializers of its own, and a for-in over its prototype chain is the costliest part of a line.
 */
function isPlain(v: unknown): v is Obj {
  if (typeof v !== 'object' || v === null) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

/** A copy of a headers object with credential headers masked; the same object when none is present. */
function redactHeaders(headers: Obj): Obj {
  let out = headers;
  for (const key in headers) {
    if (HEADERS.has(key.toLowerCase())) {
      if (out === headers) out = { ...headers };
      out[key] = REDACTED;
    }
  }
  return out;
}

/** One level of an object: sensitive fields masked, a nested `headers` object handled as headers. */
function redactLevel(obj: Obj, nested: boolean): Obj {
  let out = obj;
  for (const key in obj) {
    const value = obj[key];
    let next: unknown = value;
    if (FIELDS.has(key)) next = REDACTED;
    else if (key === 'headers' && isObject(value)) next = redactHeaders(value);
    else if (!nested && isPlain(value)) next = redactLevel(value, true);
    if (next !== value) {
      if (out === obj) out = { ...obj };
      out[key] = next;
    }
  }
  return out;
}

/**
 * pino `formatters.log` / `formatters.bindings`: masks known credential fields at the top level
 * and one level down, and credential headers in any `headers` object among them (`req.headers`,
 * `headers`, `<x>.headers`). Copy-on-write: the logged object is never mutated, and a line with
 * nothing sensitive costs one pass over its keys.
 *
 * Hand-written instead of pino's `redact` paths: those compile to a selective clone per line
 * and measured 12 µs per access line here (1.7 µs without), most of a request's logging cost.
 * Registered secret values are masked separately, on the final line (RedactionRegistry).
 */
export function redactSensitive<T extends Obj>(obj: T): T {
  return redactLevel(obj, false) as T;
}
