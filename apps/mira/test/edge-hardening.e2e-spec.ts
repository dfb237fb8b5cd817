import { Controller, Get, Module, RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import { ConfigStore, loadConfig } from '@mira/config';
import { FeatureFlag } from '@mira/features';
import { messageBodySchema, workflowBodySchema } from '../src/api/api.schemas';
import { request, startTestApp, type TestApp } from './support/test-app';

@Controller('api/v1/beta')
class BetaController {
  @Get()
  @FeatureFlag('beta_reports')
  get(): { beta: true } {
    return { beta: true };
  }
}
@Module({ controllers: [BetaController] })
class BetaModule {}

/** Every (method, path) Nest registered from controllers, read from their route metadata. */
function nestRoutes(t: TestApp): { method: string; path: string }[] {
  const discovery = t.app.get(DiscoveryService);
  const scanner = new MetadataScanner();
  const out: { method: string; path: string }[] = [];
  for (const wrapper of discovery.getControllers()) {
    const ctor = wrapper.metatype as (new (...a: unknown[]) => unknown) | undefined;
    if (!ctor) continue;
    const base = String(Reflect.getMetadata(PATH_METADATA, ctor) ?? '');
    for (const name of scanner.getAllMethodNames(ctor.prototype)) {
      const handler = (ctor.prototype as Record<string, unknown>)[name] as object;
      const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
      if (method === undefined) continue;
      const sub = String(Reflect.getMetadata(PATH_METADATA, handler) ?? '');
      const path = `/${[base, sub].filter((p) => p && p !== '/').join('/')}`
        .replace(/\/+/g, '/')
        .replace(/:(\w+)/g, '{$1}');
      out.push({ method: RequestMethod[method].toLowerCase(), path });
    }
  }
  return out;
}

describe('hardening and OpenAPI (real app)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ imports: [BetaModule], overrides: { api: { keys: ['hk'] } } });
  });
  afterAll(() => t.close());
  const auth = { 'x-api-key': 'hk' };

  it("sends security headers everywhere (the JSON set on JSON-only routes, helmet's full set elsewhere) and no CORS headers by default", async () => {
    for (const path of ['/healthz', '/healthz/ready', '/api/v1/agents', '/metrics', '/nowhere', '/docs']) {
      const res = await request(`${t.url}${path}`, { headers: { ...auth, origin: 'https://evil.example' } });
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('strict-transport-security')).toMatch(/max-age=/);
      expect(res.headers.get('x-powered-by')).toBeNull();
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
      if (path === '/nowhere' || path === '/docs') {
        expect(res.headers.get('x-frame-options')).toBe('SAMEORIGIN');
        expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
        expect(res.headers.get('referrer-policy')).toBe('no-referrer');
      } else {
        // Nothing may be loaded or framed from a JSON answer; no cross-origin no-cors reads.
        expect(res.headers.get('content-security-policy')).toBe("default-src 'none';frame-ancestors 'none'");
        expect(res.headers.get('cross-origin-resource-policy')).toBe('same-origin');
        expect(res.headers.get('x-frame-options')).toBeNull();
      }
    }
    const preflight = await request(`${t.url}/api/v1/messages`, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('accepts JSON only on the API: 415 for other content types, 400 for bad JSON, no internals in errors', async () => {
    for (const type of [
      'text/plain',
      'application/x-www-form-urlencoded',
      'application/xml',
      'multipart/form-data; boundary=x',
    ]) {
      const res = await request(`${t.url}/api/v1/messages`, {
        raw: 'type=x',
        headers: { ...auth, 'content-type': type },
      });
      expect(res.status).toBe(415);
    }
    const bad = await request(`${t.url}/api/v1/messages`, { raw: '{"type":', headers: auth });
    expect(bad.status).toBe(400);
    const wrong = await request(`${t.url}/api/v1/messages`, { body: { type: 1, data: [] }, headers: auth });
    expect(wrong.status).toBe(400);
    const proto = await request(`${t.url}/api/v1/messages`, {
      raw: '{"type":"x","data":{},"__proto__":{"admin":true}}',
      headers: auth,
    });
    expect(proto.status).toBe(400);
    for (const r of [bad, wrong, proto]) {
      expect(Object.keys(r.body).sort()).toEqual(expect.arrayContaining(['error', 'message', 'statusCode']));
      expect(r.text).not.toMatch(/node_modules|\.ts:\d+|at \w+ \(|stack/);
    }
  });

  it('enforces server.body_limit_bytes with 413', async () => {
    const small = await startTestApp({ overrides: { server: { body_limit_bytes: 1024 } } });
    try {
      const res = await request(`${small.url}/api/v1/messages`, {
        body: { type: 'generate_plan', data: { d: 'x'.repeat(5000) } },
      });
      expect(res.status).toBe(413);
      expect(res.text).not.toMatch(/stack/);
    } finally {
      await small.close();
    }
  });

  it('enables CORS only for configured origins', async () => {
    const cors = await startTestApp({ overrides: { api: { cors_origins: ['https://ui.example'] } } });
    try {
      const ok = await request(`${cors.url}/api/v1/agents`, { headers: { origin: 'https://ui.example' } });
      expect(ok.headers.get('access-control-allow-origin')).toBe('https://ui.example');
      const other = await request(`${cors.url}/api/v1/agents`, {
        headers: { origin: 'https://evil.example' },
      });
      expect(other.headers.get('access-control-allow-origin')).toBeNull();
    } finally {
      await cors.close();
    }
  });

  it('gates a route on a feature flag (404 while off) and follows a hot reload', async () => {
    const store = t.app.get(ConfigStore);
    expect((await request(`${t.url}/api/v1/beta`, { headers: auth })).status).toBe(404);
    const reload = (beta: boolean) =>
      store.replace(
        loadConfig({
          file: null,
          env: {},
          overrides: {
            logging: { level: 'silent' },
            api: { keys: ['hk'] },
            features: { beta_reports: beta },
          },
        }),
      );
    reload(true);
    const on = await request(`${t.url}/api/v1/beta`, { headers: auth });
    expect(on.status).toBe(200);
    expect(on.body).toEqual({ beta: true });
    reload(false);
    expect((await request(`${t.url}/api/v1/beta`, { headers: auth })).status).toBe(404);
    // The key check still comes first.
    expect((await request(`${t.url}/api/v1/beta`)).status).toBe(401);
  });

  it('serves a valid OpenAPI 3 document at /docs/json listing every route, built from the zod schemas', async () => {
    const res = await request(`${t.url}/docs/json`);
    expect(res.status).toBe(200);
    const doc = res.body;
    expect(doc.openapi).toMatch(/^3\.\d+\.\d+$/);
    expect(typeof doc.info.title).toBe('string');
    expect(typeof doc.info.version).toBe('string');
    expect(typeof doc.paths).toBe('object');
    const methods = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
    for (const [path, item] of Object.entries<Record<string, any>>(doc.paths)) {
      expect(path.startsWith('/')).toBe(true);
      for (const [m, op] of Object.entries<any>(item)) {
        if (!methods.includes(m)) continue;
        expect(Object.keys(op.responses ?? {}).length).toBeGreaterThan(0);
        for (const p of op.parameters ?? []) {
          expect(['query', 'header', 'path', 'cookie']).toContain(p.in);
          if (p.in === 'path') {
            expect(p.required).toBe(true);
            expect(path).toContain(`{${p.name}}`);
          }
        }
        if (path.startsWith('/api/')) expect(op.security).toEqual([{ bearer: [] }, { api_key: [] }]);
      }
    }
    // Every $ref resolves (the document has them now: shared schemas live in components).
    const refs = JSON.stringify(doc).match(/"\$ref":"[^"]+"/g) ?? [];
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of refs) {
      const target = ref.slice('"$ref":"#/'.length, -1).split('/');
      expect(target.reduce((n: any, k: string) => n?.[k], doc)).toBeDefined();
    }
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(doc.components.securitySchemes.api_key).toMatchObject({
      type: 'apiKey',
      in: 'header',
      name: 'X-API-Key',
    });

    const routes = nestRoutes(t);
    expect(routes.length).toBeGreaterThanOrEqual(8);
    for (const r of routes)
      expect({ route: r, listed: doc.paths[r.path]?.[r.method] !== undefined }).toEqual({
        route: r,
        listed: true,
      });

    // Request bodies are the validation schemas themselves, converted through Standard JSON Schema.
    const bodySchema = (path: string) => doc.paths[path].post.requestBody.content['application/json'].schema;
    const fromZod = (s: typeof messageBodySchema | typeof workflowBodySchema) =>
      s['~standard'].jsonSchema.input({ target: 'openapi-3.0' });
    expect(bodySchema('/api/v1/workflows')).toMatchObject(fromZod(workflowBodySchema));
    // The messages body is a union discriminated by type (issue 17): every member keeps the
    // envelope's shape, `{ type, data }` both required, with the handling agent's data schema.
    const members = bodySchema('/api/v1/messages').oneOf.map(
      (m: { $ref: string }) => doc.components.schemas[m.$ref.split('/').pop()!],
    );
    expect(members.length).toBeGreaterThan(0);
    for (const m of members) {
      expect(m.required).toEqual(fromZod(messageBodySchema).required);
      expect(m.properties.data.type).toBe('object');
    }
  });

  it('serves the Swagger UI at /docs', async () => {
    const res = await request(`${t.url}/docs`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    expect(res.text).toContain('swagger-ui');
    const asset = res.text.match(/src="([^"]*swagger-ui-init\.js)"/)?.[1];
    expect(asset).toBeDefined();
    const init = await request(new URL(asset!, `${t.url}/docs`).toString());
    expect(init.status).toBe(200);
  });
});
