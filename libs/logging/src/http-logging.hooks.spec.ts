import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import fastify, { type FastifyInstance } from 'fastify';
import { PinoLogger } from 'nestjs-pino';
import pino from 'pino';
import { currentCorrelationId } from './correlation/correlation.context';
import { httpLoggingHooks } from './http-logging.hooks';
import { buildPinoOptions } from './logging.options';
import { RedactionRegistry } from './redaction/redaction.registry';

type Line = Record<string, any>;

/** The hooks on a real Fastify server, logging through a real pino root into `lines`. */
describe('httpLoggingHooks (real Fastify, real pino)', () => {
  const lines: Line[] = [];
  const previousRoot = PinoLogger.root;
  let app: FastifyInstance;
  let url: string;
  let slowDone: () => void = () => undefined;
  const slowFinished = new Promise<void>((resolve) => (slowDone = resolve));

  beforeAll(async () => {
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l) as Line);
        cb();
      },
    });
    const logging = { level: 'info', json: true, file: null, access_log_exclude: ['/healthz', '/healthz/*'] };
    (PinoLogger as unknown as { root: unknown }).root = pino(
      buildPinoOptions(logging as never, { redaction: new RedactionRegistry() }),
      sink,
    );
    app = fastify({ forceCloseConnections: true });
    const hooks = httpLoggingHooks(logging.access_log_exclude);
    app.addHook('onRequest', hooks.onRequest);
    app.addHook('onResponse', hooks.onResponse);
    app.addHook('onRequestAbort', hooks.onRequestAbort);
    app.get('/id', async () => ({ id: currentCorrelationId() }));
    app.get('/healthz/live', async () => ({ ok: true }));
    app.get('/boom', async (_req, reply) => reply.code(503).send({ down: true }));
    app.get('/slow', async () => {
      await new Promise((r) => setTimeout(r, 300));
      slowDone();
      return { late: true };
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await app.close();
    (PinoLogger as unknown as { root: unknown }).root = previousRoot;
  });

  const byId = (id: string) => lines.filter((l) => l.correlation_id === id);
  const settle = () => new Promise((r) => setTimeout(r, 50));

  it('echoes the id, runs the handler in its scope and writes one info access line', async () => {
    const res = await fetch(`${url}/id`, {
      headers: { 'x-correlation-id': 'hook-1', authorization: 'Bearer s3cr3t' },
    });
    expect(res.headers.get('x-correlation-id')).toBe('hook-1');
    expect(await res.json()).toEqual({ id: 'hook-1' });
    await settle();
    const [line, ...more] = byId('hook-1');
    expect(more).toEqual([]);
    expect(line).toMatchObject({
      level: 'info',
      msg: 'request completed',
      req: { id: 'hook-1', method: 'GET', url: '/id', remoteAddress: '127.0.0.1' },
      res: { statusCode: 200 },
    });
    expect(typeof line.responseTime).toBe('number');
    expect(JSON.stringify(line)).not.toContain('s3cr3t');
  });

  it('logs 5xx at error level and writes nothing for excluded paths', async () => {
    await fetch(`${url}/boom`, { headers: { 'x-correlation-id': 'hook-5xx' } });
    const probe = await fetch(`${url}/healthz/live?x=1`, { headers: { 'x-correlation-id': 'hook-probe' } });
    expect(probe.headers.get('x-correlation-id')).toBe('hook-probe');
    await settle();
    expect(byId('hook-5xx')).toEqual([
      expect.objectContaining({ level: 'error', msg: 'request errored', res: { statusCode: 503 } }),
    ]);
    expect(byId('hook-probe')).toEqual([]);
  });

  it('writes one `request aborted` line when the client leaves before the answer', async () => {
    const abort = new AbortController();
    const call = fetch(`${url}/slow`, {
      headers: { 'x-correlation-id': 'hook-abort' },
      signal: abort.signal,
    });
    setTimeout(() => abort.abort(), 50);
    await expect(call).rejects.toThrow();
    await slowFinished;
    await settle();
    const found = byId('hook-abort');
    expect(found).toEqual([
      expect.objectContaining({
        level: 'warn',
        msg: 'request aborted',
        req: expect.objectContaining({ url: '/slow' }),
      }),
    ]);
    expect(found[0].res).toBeUndefined();
  });
});
