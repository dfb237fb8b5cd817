import { createHmac, timingSafeEqual } from 'node:crypto';

export function hmac(algorithm: 'sha1' | 'sha256', secret: string, ...parts: (Buffer | string)[]): Buffer {
  const mac = createHmac(algorithm, secret);
  for (const p of parts) mac.update(p);
  return mac.digest();
}

/**
 * True when `presented` equals any candidate. Every candidate is compared with timingSafeEqual
 * (no early exit); only lengths, which are public (fixed by the algorithm), short-circuit.
 */
export function matchesAny(presented: Buffer, candidates: readonly Buffer[]): boolean {
  let ok = false;
  for (const c of candidates) {
    if (c.length === presented.length && timingSafeEqual(c, presented)) ok = true;
  }
  return ok;
}

/** The header's single value (first one if repeated), trimmed; undefined when absent or empty. */
export function headerValue(
  headers: Readonly<Record<string, string | string[] | undefined>>,
  name: string,
): string | undefined {
  const v = headers[name];
  const s = Array.isArray(v) ? v[0] : v;
  return typeof s === 'string' && s.trim() !== '' ? s.trim() : undefined;
}

const HEX = /^[0-9a-f]+$/i;

/** Decodes `sha256=<hex>` (prefix compared case-insensitively); null if malformed. */
export function parsePrefixedHex(value: string, prefix: string, bytes: number): Buffer | null {
  if (value.slice(0, prefix.length).toLowerCase() !== prefix) return null;
  const hex = value.slice(prefix.length);
  return hex.length === bytes * 2 && HEX.test(hex) ? Buffer.from(hex, 'hex') : null;
}
