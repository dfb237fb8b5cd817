import { request, startTestApp, type TestApp } from './support/test-app';

const PROBES = ['/healthz', '/healthz/live', '/healthz/ready', '/healthz/startup'];

/** Count of http_request_duration_seconds samples for one route template (undefined: no series). */
async function histogramCount(url: string, route: string): Promise<number | undefined> {
  const text = (await request(`${url}/metrics`)).text;
  const line = text
    .split('\n')
    .find((l) => l.startsWith('http_request_duration_seconds_count{') && l.includes(`route="${route}"`));
  return line === undefined ? undefined : Number(line.split(' ').pop());
}

describe('health endpoints on the fast path (real app, real HTTP)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ overrides: { api: { keys: ['fk'] } } });
  });
  afterAll(() => t.close());

  it('answers every probe ahead of the API pipeline, with the JSON security headers and the correlation id', async () => {
    for (const path of PROBES) {
      // No API key, a hostile-looking header: probes are not API requests.
      const res = await request(`${t.url}${path}`, { headers: { 'x-correlation-id': `fp-${path.length}` } });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('content-security-policy')).toBe("default-src 'none';frame-ancestors 'none'");
      expect(res.headers.get('x-correlation-id')).toBe(`fp-${path.length}`);
    }
    const invalid = await request(`${t.url}/healthz/live`, {
      headers: { 'x-correlation-id': 'x'.repeat(500) },
    });
    expect(invalid.headers.get('x-correlation-id')).toMatch(/^[0-9a-f-]{36}$/);
    const full = await request(`${t.url}/healthz`);
    expect(full.body).toMatchObject({ status: 'healthy', checks: { broker: { status: 'healthy' } } });
    expect((await request(`${t.url}/healthz/live`)).body).toMatchObject({
      status: 'ok',
      info: { event_loop: { status: 'up' } },
    });
  });

  it('stays out of the request histogram, while anything else on those paths still goes through Fastify', async () => {
    for (const path of PROBES) await request(`${t.url}${path}`);
    expect(await histogramCount(t.url, '/healthz/live')).toBeUndefined();
    // Not a probe request: Fastify answers (and counts) it.
    const post = await request(`${t.url}/healthz/live`, { method: 'POST', body: {} });
    expect(post.status).toBe(404);
    expect(post.headers.get('x-correlation-id')).toBeTruthy();
    const slash = await request(`${t.url}/healthz/live/`);
    expect(slash.status).toBe(404);
    expect(await histogramCount(t.url, 'unmatched')).toBeGreaterThanOrEqual(1);
  });
});

describe('health endpoints with health.fast_path: false (real app, real HTTP)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({
      overrides: { health: { fast_path: false, cache_ttl_ms: 0, event_loop_max_lag_ms: 600000 } },
    });
  });
  afterAll(() => t.close());

  it('answers the same probes through the health controller, counted like any route', async () => {
    for (const path of PROBES) {
      const res = await request(`${t.url}${path}`, { headers: { 'x-correlation-id': 'slow-lane' } });
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.headers.get('x-correlation-id')).toBe('slow-lane');
      // The same JSON security headers as on the fast path.
      expect(res.headers.get('content-security-policy')).toBe("default-src 'none';frame-ancestors 'none'");
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('x-frame-options')).toBeNull();
    }
    expect((await request(`${t.url}/healthz/live`)).body).toMatchObject({
      status: 'ok',
      info: { event_loop: { status: 'up' } },
    });
    expect(await histogramCount(t.url, '/healthz/live')).toBe(2);
  });
});

describe('health endpoints with CORS origins configured (real app, real HTTP)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ overrides: { api: { cors_origins: ['https://dash.example'] } } });
  });
  afterAll(() => t.close());

  it('leaves browser requests (with an Origin) to Fastify for their CORS headers; probes stay on the fast path', async () => {
    const browser = await request(`${t.url}/healthz`, { headers: { origin: 'https://dash.example' } });
    expect(browser.status).toBe(200);
    expect(browser.headers.get('access-control-allow-origin')).toBe('https://dash.example');
    expect(browser.body).toMatchObject({ status: 'healthy' });
    expect(await histogramCount(t.url, '/healthz')).toBe(1);
    const probe = await request(`${t.url}/healthz`);
    expect(probe.status).toBe(200);
    expect(probe.headers.get('access-control-allow-origin')).toBeNull();
    expect(await histogramCount(t.url, '/healthz')).toBe(1);
  });
});
