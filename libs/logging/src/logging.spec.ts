import { Writable } from 'node:stream';
import pino from 'pino';
import { ClsContextPropagator } from './correlation/cls-context.propagator';
import {
  correlationIdFromHeaders,
  isValidCorrelationId,
  traceIdFromTraceparent,
} from './correlation/correlation-id';
import {
  correlationHeaders,
  currentCorrelation,
  runWithContextFields,
  runWithCorrelation,
} from './correlation/correlation.context';
import { correlationInterceptor, withCorrelationHeaders } from './correlation/outbound-http';
import { WithCorrelation } from './correlation/with-correlation.decorator';
import {
  accessLogExclusion,
  accessLogRequest,
  buildPinoOptions,
  redactQueryString,
  withSafeIdHeaders,
} from './logging.options';
import { RedactionRegistry } from './redaction/redaction.registry';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('correlation ids', () => {
  it('validates length and character set', () => {
    expect(isValidCorrelationId('abc-123')).toBe(true);
    expect(isValidCorrelationId('a'.repeat(128))).toBe(true);
    expect(isValidCorrelationId('a'.repeat(129))).toBe(false);
    for (const bad of ['', 'a b', 'a\nb', 'a\r\nx-evil: 1', '"q"', 'ü', 42, undefined])
      expect(isValidCorrelationId(bad)).toBe(false);
  });

  it('prefers x-correlation-id, then x-request-id, then the traceparent trace id; replaces invalid ones', () => {
    const trace = '4bf92f3577b34da6a3ce929d0e0e4736';
    const tp = `00-${trace}-00f067aa0ba902b7-01`;
    expect(
      correlationIdFromHeaders({ 'x-correlation-id': 'c1', 'x-request-id': 'r1', traceparent: tp }),
    ).toBe('c1');
    expect(correlationIdFromHeaders({ 'x-request-id': 'r1', traceparent: tp })).toBe('r1');
    expect(correlationIdFromHeaders({ traceparent: tp })).toBe(trace);
    expect(correlationIdFromHeaders({ 'x-correlation-id': 'x'.repeat(10000) })).toMatch(UUID);
    expect(correlationIdFromHeaders({ traceparent: `00-${'0'.repeat(32)}-00f067aa0ba902b7-01` })).toMatch(
      UUID,
    );
    expect(traceIdFromTraceparent('nonsense')).toBeUndefined();
    expect(correlationIdFromHeaders({})).toMatch(UUID);
  });

  it('keeps invalid id headers out of the serialized request', () => {
    const req = { id: 'x', headers: { 'x-correlation-id': 'bad id\n', host: 'h' } };
    expect(withSafeIdHeaders(req).headers['x-correlation-id']).toMatch(/replaced/);
    expect(req.headers['x-correlation-id']).toBe('bad id\n'); // the live request is untouched
    const ok = { headers: { 'x-correlation-id': 'good' } };
    expect(withSafeIdHeaders(ok)).toBe(ok);
  });
});

describe('query strings that are credentials', () => {
  it('logs a registered path without its query string, other paths with theirs', () => {
    redactQueryString('/test/callback');
    const url = (u: string) => accessLogRequest({ method: 'GET', url: u }).url;
    expect(url('/test/callback?code=abc123&state=xyz')).toBe('/test/callback?[REDACTED]');
    expect(url('/TEST/Callback/?code=abc123')).toBe('/TEST/Callback/?[REDACTED]');
    // Percent-encoded, the path still routes to the callback.
    expect(url('/test/%63allback?code=abc123&state=s1')).toBe('/test/%63allback?[REDACTED]');
    expect(url('/test/callback')).toBe('/test/callback');
    expect(url('/test/other?page=2&sort=asc')).toBe('/test/other?page=2&sort=asc');
  });

  it('masks credential-named parameters on every other path', () => {
    const url = (u: string) => accessLogRequest({ method: 'GET', url: u }).url;
    expect(url('/api/v1/workflows/stream?access_token=abc123&page=2')).toBe(
      '/api/v1/workflows/stream?access_token=[redacted]&page=2',
    );
    expect(url('/test/other?code=abc123;sig=s1')).toBe('/test/other?code=[redacted];sig=[redacted]');
  });
});

describe('access log exclusion (logging.access_log_exclude)', () => {
  it('matches `/x` exactly and `/x/*` below, ignoring the query string and a trailing slash', () => {
    const excluded = accessLogExclusion(['/healthz', '/healthz/*', 'metrics']);
    for (const url of [
      '/healthz',
      '/healthz/',
      '/healthz?full=1',
      '/healthz/live',
      '/healthz/ready?x=1',
      '/metrics',
    ])
      expect(excluded(url)).toBe(true);
    for (const url of ['/healthzz', '/api/v1/agents', '/metrics/x', '/', '/api/v1/healthz'])
      expect(excluded(url)).toBe(false);
  });

  it('excludes nothing when the list is empty', () => {
    const excluded = accessLogExclusion([]);
    expect(excluded('/healthz')).toBe(false);
    expect(excluded('/')).toBe(false);
  });
});

describe('correlation context API', () => {
  it('runs a function in a given or new context and nests fields without leaking them', async () => {
    expect(currentCorrelation()).toBeUndefined();
    await runWithCorrelation(async () => {
      expect(currentCorrelation()).toEqual({ correlation_id: 'job-1' });
      await runWithContextFields({ agent_id: 'a1' }, async () => {
        await new Promise((r) => setTimeout(r, 1));
        expect(currentCorrelation()).toEqual({ correlation_id: 'job-1', agent_id: 'a1' });
      });
      expect(currentCorrelation()).toEqual({ correlation_id: 'job-1' });
      expect(correlationHeaders()).toEqual({ 'x-correlation-id': 'job-1' });
    }, 'job-1');
    runWithCorrelation(() => expect(currentCorrelation()!.correlation_id).toMatch(UUID));
    runWithCorrelation(() => expect(currentCorrelation()!.correlation_id).toMatch(UUID), 'bad\nid');
  });

  it('@WithCorrelation gives each call outside a context its own id and reuses an enclosing one', async () => {
    class Job {
      @WithCorrelation()
      async tick(): Promise<string | undefined> {
        await new Promise((r) => setImmediate(r));
        return currentCorrelation()?.correlation_id;
      }
      @WithCorrelation({ from: (id: string) => id })
      named(_id: string): string | undefined {
        return currentCorrelation()?.correlation_id;
      }
    }
    const job = new Job();
    const [a, b] = await Promise.all([job.tick(), job.tick()]);
    expect(a).toMatch(UUID);
    expect(b).toMatch(UUID);
    expect(a).not.toBe(b);
    expect(await runWithCorrelation(() => job.tick(), 'outer-1')).toBe('outer-1');
    expect(job.named('job-77')).toBe('job-77');
  });
});

describe('ClsContextPropagator (broker contract)', () => {
  const p = new ClsContextPropagator();

  it('injects the current id and workflow id; restores them in a fresh scope per message', async () => {
    const headers = runWithCorrelation(() => p.inject({}), {
      correlation_id: 'abc-123',
      workflow_id: 'wf-1',
    });
    expect(headers).toEqual({ 'x-correlation-id': 'abc-123', 'x-workflow-id': 'wf-1' });
    const seen = await runWithCorrelation(
      () =>
        p.run(headers, async () => {
          await new Promise((r) => setTimeout(r, 1));
          return currentCorrelation();
        }),
      'publisher-scope-is-not-inherited',
    );
    expect(seen).toEqual({ correlation_id: 'abc-123', workflow_id: 'wf-1' });
  });

  it('keeps explicit valid headers, drops invalid ones and generates an id when none is given', () => {
    expect(runWithCorrelation(() => p.inject({ 'x-correlation-id': 'explicit' }), 'ctx')).toEqual({
      'x-correlation-id': 'explicit',
    });
    expect(p.inject({ 'x-correlation-id': 'bad id' })).toEqual({});
    expect(p.run({ 'x-correlation-id': 'bad id' }, () => currentCorrelation()!.correlation_id)).toMatch(UUID);
  });

  it('restores the actor and its roles; drops each invalid field on its own', () => {
    const ctx = p.run(
      {
        'x-correlation-id': 'c-1',
        'x-workflow-id': 'bad id',
        'x-mira-actor': 'key:ops',
        'x-mira-actor-roles': 'approver,admin',
      },
      () => currentCorrelation(),
    );
    expect(ctx).toEqual({ correlation_id: 'c-1', actor: 'key:ops', actor_roles: 'approver,admin' });
    const bad = p.run({ 'x-mira-actor': 'a b', 'x-mira-actor-roles': 'Admin;drop' }, () =>
      currentCorrelation(),
    );
    expect(Object.keys(bad!)).toEqual(['correlation_id']);
    expect(bad!.correlation_id).toMatch(UUID);
  });
});

describe('outbound HTTP', () => {
  it('adds the current id to fetch headers and through an undici interceptor', () => {
    runWithCorrelation(() => {
      expect(withCorrelationHeaders({ accept: 'x' }).get('x-correlation-id')).toBe('out-1');
      expect(withCorrelationHeaders({ 'x-correlation-id': 'mine' }).get('x-correlation-id')).toBe('mine');
      const seen: unknown[] = [];
      const dispatch = correlationInterceptor((opts) => seen.push(opts.headers) > 0);
      dispatch({ headers: { accept: 'x' } }, {});
      dispatch({ headers: ['accept', 'x'] }, {});
      dispatch({}, {});
      expect(seen).toEqual([
        { accept: 'x', 'x-correlation-id': 'out-1' },
        ['accept', 'x', 'x-correlation-id', 'out-1'],
        { 'x-correlation-id': 'out-1' },
      ]);
    }, 'out-1');
  });
});

describe('redaction', () => {
  function logger(registry: RedactionRegistry) {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk, _e, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const log = pino(
      buildPinoOptions(
        { level: 'info', json: true, file: null, access_log_exclude: [] },
        { redaction: registry },
      ),
      stream,
    );
    return { log, lines };
  }

  it('redacts credential headers and sensitive fields', () => {
    const { log, lines } = logger(new RedactionRegistry());
    log.info(
      {
        req: { headers: { authorization: 'Bearer t0k', cookie: 'c=1', 'x-api-key': 'k' } },
        password: 'p4ss',
        db: { token: 't' },
      },
      'hello',
    );
    const line = JSON.parse(lines[0]);
    expect(line.req.headers).toEqual({
      authorization: '[REDACTED]',
      cookie: '[REDACTED]',
      'x-api-key': '[REDACTED]',
    });
    expect(line.password).toBe('[REDACTED]');
    expect(line.db.token).toBe('[REDACTED]');
  });

  it('masks registered secret values anywhere in the line, escaped forms included, until unregistered', () => {
    const registry = new RedactionRegistry();
    const { log, lines } = logger(registry);
    registry.register('s3cr3t-"quoted"\\value');
    registry.register('plain-secret-1');
    registry.register('ab'); // too short to mask safely: ignored
    log.info({ nested: { note: 'x plain-secret-1 y' } }, 'pw is s3cr3t-"quoted"\\value, ab');
    expect(lines[0]).not.toContain('plain-secret-1');
    expect(JSON.parse(lines[0]).msg).toBe('pw is [REDACTED], ab');
    expect(JSON.parse(lines[0]).nested.note).toBe('x [REDACTED] y');
    registry.unregister('plain-secret-1');
    log.info('plain-secret-1');
    expect(JSON.parse(lines[1]).msg).toBe('plain-secret-1');
    expect(registry.mask('nothing here')).toBe('nothing here');
  });

  it('masks credential URLs anywhere in a line (start-up lines quoting config included)', () => {
    const { log, lines } = logger(new RedactionRegistry());
    log.info(
      { target: 'https://hooks.slack.com/services/T1/B2/slack-secret-3' },
      'delivering to https://ops:pw-secret-4@h.example.com/x?token=tok-secret-5&page=2',
    );
    expect(lines[0]).not.toMatch(/slack-secret-3|pw-secret-4|tok-secret-5/);
    expect(JSON.parse(lines[0]).msg).toBe(
      'delivering to https://[redacted]@h.example.com/x?token=[redacted]&page=2',
    );
    expect(JSON.parse(lines[0]).target).toBe('https://hooks.slack.com/services/[redacted]');
  });

  it('masks a password holding "@" whole, and a registered secret URL whole before URL masking', () => {
    const registry = new RedactionRegistry();
    const { log, lines } = logger(registry);
    log.info('connecting to postgres://mira:p@ssw0rd@db/mira');
    expect(lines[0]).not.toContain('ssw0rd');
    expect(JSON.parse(lines[0]).msg).toBe('connecting to postgres://[redacted]@db/mira');
    // URL masking would alter it (token=...), after which the registry could no longer match it whole.
    registry.register('https://ops.example.com/hook?token=t-1&channel=secret-channel-9');
    log.info({ target: 'https://ops.example.com/hook?token=t-1&channel=secret-channel-9' }, 'posting');
    expect(lines[1]).not.toMatch(/secret-channel-9|t-1/);
    expect(JSON.parse(lines[1]).target).toBe('[REDACTED]');
  });

  it('adds the correlation context to lines through the mixin', () => {
    const { log, lines } = logger(new RedactionRegistry());
    runWithCorrelation(
      () => runWithContextFields({ agent_id: 'a1', task_id: 't1' }, () => log.info('x')),
      'c-1',
    );
    log.info('outside');
    expect(JSON.parse(lines[0])).toMatchObject({
      correlation_id: 'c-1',
      agent_id: 'a1',
      task_id: 't1',
      msg: 'x',
    });
    expect(JSON.parse(lines[1]).correlation_id).toBeUndefined();
  });
});
