import { loadConfig } from '@mira/config';
import { serverTimeouts } from '../app.factory';
import { EdgeLimitError } from './edge-limit.error';
import { boundedJsonSerializer, nestsDeeperThan } from './edge-limits';

/** `levels` objects, each holding the next, the last holding an array (one level more). */
function nested(levels: number): unknown {
  let v: unknown = { leaf: [1, 2] };
  for (let i = 1; i < levels; i++) v = { child: v };
  return v;
}

describe('nestsDeeperThan', () => {
  it('counts the top-level object as depth 1, arrays like objects, and ignores scalars', () => {
    expect(nestsDeeperThan('text', 1)).toBe(false);
    expect(nestsDeeperThan(null, 1)).toBe(false);
    expect(nestsDeeperThan({ a: 1, b: 'x' }, 1)).toBe(false);
    expect(nestsDeeperThan({ a: [] }, 1)).toBe(true);
    expect(nestsDeeperThan({ a: [] }, 2)).toBe(false);
    expect(nestsDeeperThan([[[{}]]], 3)).toBe(true);
    expect(nestsDeeperThan([[[{}]]], 4)).toBe(false);
  });

  it('finds the deep branch among wide shallow ones', () => {
    const wide = { many: Array.from({ length: 1000 }, (_, i) => ({ i })), deep: nested(10) };
    // wide (1) > 10 nested objects (2..11) > the leaf array (12)
    expect(nestsDeeperThan(wide, 12)).toBe(false);
    expect(nestsDeeperThan(wide, 11)).toBe(true);
  });

  it('checks 1,000,000 levels without overflowing the stack', () => {
    expect(nestsDeeperThan(nested(1_000_000), 64)).toBe(true);
  });
});

describe('boundedJsonSerializer', () => {
  it('serialises like JSON.stringify within the limit, counting UTF-8 bytes', () => {
    const serialize = boundedJsonSerializer(1024);
    expect(serialize({ a: [1, 'é'] })).toBe(JSON.stringify({ a: [1, 'é'] }));
    // 400 three-byte characters: 402 UTF-16 units but 1202 bytes.
    expect(() => serialize('€'.repeat(400))).toThrow(EdgeLimitError);
    expect(serialize('a'.repeat(1022))).toHaveLength(1024);
  });

  it('refuses a larger answer with a 422 naming the key and the size', () => {
    const serialize = boundedJsonSerializer(1024);
    let caught: unknown;
    try {
      serialize({ text: 'x'.repeat(2000) });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(EdgeLimitError);
    expect(caught).toMatchObject({ code: 'RESPONSE_TOO_LARGE', statusCode: 422 });
    expect((caught as Error).message).toContain('would be 2011 bytes, over server.max_response_bytes (1024)');
  });
});

describe('serverTimeouts', () => {
  const server = (s: Record<string, unknown>) =>
    loadConfig({ file: null, env: {}, overrides: { server: s } }).config.server;

  it('sets the request and idle timeouts, and checks often enough to honour them', () => {
    const t = serverTimeouts(server({ request_timeout_ms: 1000, idle_timeout_ms: 5000 }));
    expect(t).toEqual({
      requestTimeout: 1000,
      connectionTimeout: 5000,
      http: { requestTimeout: 1000, headersTimeout: 1000, connectionsCheckingInterval: 250 },
    });
  });

  it("keeps Node's headers timeout when it is shorter, and works with no request timeout", () => {
    expect(serverTimeouts(server({})).http).toEqual({
      requestTimeout: 30000,
      headersTimeout: 30000,
      connectionsCheckingInterval: 7500,
    });
    expect(serverTimeouts(server({ request_timeout_ms: 120000 })).http.headersTimeout).toBe(60000);
    expect(serverTimeouts(server({ request_timeout_ms: 0 })).http).toEqual({
      requestTimeout: 0,
      headersTimeout: 60000,
      connectionsCheckingInterval: 15000,
    });
  });
});

describe('server.trust_proxy', () => {
  const parse = (env: string) =>
    loadConfig({ file: null, env: { MIRA_SERVER__TRUST_PROXY: env } }).config.server.trust_proxy;

  it('is off by default and takes true/false or an address/CIDR list from the environment', () => {
    expect(loadConfig({ file: null, env: {} }).config.server.trust_proxy).toBe(false);
    expect(parse('true')).toBe(true);
    expect(parse('False')).toBe(false);
    expect(parse('10.0.0.0/8, 192.168.1.7,::1,loopback')).toEqual([
      '10.0.0.0/8',
      '192.168.1.7',
      '::1',
      'loopback',
    ]);
  });

  it('refuses hop counts and malformed addresses, naming the key', () => {
    expect(() => parse('2')).toThrow(/server\.trust_proxy: .*a hop count is not supported/);
    expect(() => parse('10.0.0.0/33')).toThrow(/server\.trust_proxy\.0: expected an IP address, a CIDR/);
    expect(() => parse('proxy.internal')).toThrow(/server\.trust_proxy\.0/);
  });
});
