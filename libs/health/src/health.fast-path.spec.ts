import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Logger } from '@nestjs/common';
import { HealthFastPath } from './health.fast-path';
import type { ProbeAnswer, ProbeName } from './health.interface';
import type { HealthProbes } from './health.probes';

/** Stands in for HealthProbes: answers from a table, records what was asked. */
class TableProbes {
  asked: ProbeName[] = [];
  answers: Partial<Record<ProbeName, () => Promise<ProbeAnswer>>> = {};
  answer(probe: ProbeName): Promise<ProbeAnswer> {
    this.asked.push(probe);
    const fn = this.answers[probe];
    return fn ? fn() : Promise.resolve({ statusCode: 200, body: { probe } });
  }
}

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

describe('HealthFastPath (real node:http server)', () => {
  let server: Server;
  let port: number;
  let fast: HealthFastPath;
  let probes: TableProbes;
  let passed: string[];

  beforeAll(() => Logger.overrideLogger(false));

  beforeEach(async () => {
    fast = new HealthFastPath();
    probes = new TableProbes();
    passed = [];
    // The framework's listener: answers 404 with a marker so a test sees who answered.
    server = createServer(
      fast.wrap((req, res) => {
        passed.push(`${req.method} ${req.url}`);
        res.writeHead(404, { 'x-answered-by': 'framework' });
        res.end('framework');
      }),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });

  afterEach(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  function call(method: string, path: string, headers: Record<string, string> = {}): Promise<Reply> {
    return new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, method, path, headers }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
      });
      req.on('error', reject);
      req.end();
    });
  }

  const attach = () =>
    fast.attach(probes as unknown as HealthProbes, {
      headers: { 'x-content-type-options': 'nosniff' },
      requestId: {
        header: 'x-correlation-id',
        of: (req) => String(req.headers['x-correlation-id'] ?? 'generated'),
      },
    });

  it('leaves every request to the framework until attached', async () => {
    expect(fast.attached).toBe(false);
    const res = await call('GET', '/healthz/live');
    expect(res.headers['x-answered-by']).toBe('framework');
    expect(passed).toEqual(['GET /healthz/live']);
    expect(probes.asked).toEqual([]);
  });

  it('answers GET on each health endpoint with the probe answer, its headers and the request id', async () => {
    attach();
    const paths: [string, ProbeName][] = [
      ['/healthz', 'full'],
      ['/healthz/live', 'live'],
      ['/healthz/ready', 'ready'],
      ['/healthz/startup', 'startup'],
    ];
    for (const [path, probe] of paths) {
      const res = await call('GET', path, { 'x-correlation-id': `id-${probe}` });
      expect(res.status).toBe(200);
      expect(JSON.parse(res.body)).toEqual({ probe });
      expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(res.headers['content-length']).toBe(String(Buffer.byteLength(res.body)));
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['x-correlation-id']).toBe(`id-${probe}`);
    }
    expect(probes.asked).toEqual(['full', 'live', 'ready', 'startup']);
    expect(passed).toEqual([]);
  });

  it('answers HEAD with the headers of GET and no body, and ignores the query string', async () => {
    attach();
    const get = await call('GET', '/healthz/ready?verbose=1');
    const head = await call('HEAD', '/healthz/ready');
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
    expect(head.headers['content-length']).toBe(get.headers['content-length']);
    expect(probes.asked).toEqual(['ready', 'ready']);
  });

  it('passes other methods and look-alike paths on to the framework', async () => {
    attach();
    const misses: [string, string][] = [
      ['POST', '/healthz/live'],
      ['DELETE', '/healthz'],
      ['GET', '/healthz/live/'],
      ['GET', '/healthzz'],
      ['GET', '/healthz/constructor'],
      ['GET', '/__proto__'],
      ['GET', '/HEALTHZ/live'],
      ['GET', '/api/v1/agents'],
    ];
    for (const [method, path] of misses) {
      const res = await call(method, path);
      expect(res.headers['x-answered-by']).toBe('framework');
    }
    expect(passed).toEqual(misses.map(([m, p]) => `${m} ${p}`));
    expect(probes.asked).toEqual([]);
  });

  it("keeps a 503 answer's status and body", async () => {
    attach();
    probes.answers.ready = async () => ({
      statusCode: 503,
      body: { status: 'error', error: { lifecycle: { status: 'down', message: 'shutting down' } } },
    });
    const res = await call('GET', '/healthz/ready');
    expect(res.status).toBe(503);
    expect(JSON.parse(res.body).error.lifecycle.message).toBe('shutting down');
  });

  it('turns a failing probe into a 503 with a generic body (the reason goes to the log) instead of a hanging request', async () => {
    attach();
    probes.answers.full = () => Promise.reject(new Error('indicator wrapper broke at /secret/path'));
    const res = await call('GET', '/healthz');
    expect(res.status).toBe(503);
    expect(JSON.parse(res.body)).toEqual({
      status: 'error',
      error: 'health check failed; see the service log',
    });
    expect(res.body).not.toContain('secret');
  });

  it('leaves requests the passThrough predicate picks to the framework', async () => {
    fast.attach(probes as unknown as HealthProbes, {
      passThrough: (req) => req.headers.origin !== undefined,
    });
    const browser = await call('GET', '/healthz', { origin: 'https://dash.example' });
    expect(browser.headers['x-answered-by']).toBe('framework');
    const probe = await call('GET', '/healthz');
    expect(probe.status).toBe(200);
    expect(passed).toEqual(['GET /healthz']);
    expect(probes.asked).toEqual(['full']);
  });

  it("keeps headers an earlier listener set, such as the drain's Connection: close", async () => {
    attach();
    server.prependListener('request', (_req, res) => res.setHeader('Connection', 'close'));
    const res = await call('GET', '/healthz/live');
    expect(res.status).toBe(200);
    expect(res.headers.connection).toBe('close');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
  });

  it('hands requests back to the framework after detach()', async () => {
    attach();
    fast.detach();
    const res = await call('GET', '/healthz');
    expect(res.headers['x-answered-by']).toBe('framework');
  });
});
