import { randomBytes } from 'node:crypto';

/** An API answer: the status, the headers and the body (parsed when it is JSON). */
export interface Answer {
  status: number;
  headers: Headers;
  body: any;
}

export interface KeyedApiOptions {
  /** Per call (default 30 s). */
  timeoutMs?: number;
  /**
   * With true, no answer at all (a process gone, a timeout) resolves as status 0 instead of
   * throwing, so a spec can count it apart from any 5xx.
   */
  noAnswerAsZero?: boolean;
}

/**
 * One API call over real HTTP as `who`, one of the API keys the spec configured: a GET without
 * a body, a JSON POST with one.
 */
export function keyedApi<Who extends string>(
  keys: Record<Who, { key: string }>,
  options: KeyedApiOptions = {},
): (base: string, path: string, who: Who, body?: unknown) => Promise<Answer> {
  const call = async (base: string, path: string, who: Who, body?: unknown): Promise<Answer> => {
    const res = await fetch(`${base}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: {
        'x-api-key': keys[who].key,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      /* not JSON */
    }
    return { status: res.status, headers: res.headers, body: parsed };
  };
  if (!options.noAnswerAsZero) return call;
  return (base, path, who, body) =>
    call(base, path, who, body).catch(() => ({ status: 0, headers: new Headers(), body: null }));
}

/** A random API key value, prefixed with what it is for (`req-…`, `aud-…`). */
export const secretKey = (name: string): string => `${name}-${randomBytes(12).toString('hex')}`;

/**
 * The `api` and `shutdown` sections a spec's built service processes share: its named keys with
 * roles, no rate limit (every call comes from one client IP), a quick drain.
 */
export function keyedServiceConfig(
  keys: Record<string, { name: string; key: string; roles: readonly string[] }>,
) {
  return {
    api: { keys: Object.values(keys), rate_limit: { enabled: false } },
    shutdown: { drain_delay_ms: 0 },
  };
}
