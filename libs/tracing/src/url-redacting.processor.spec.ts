import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { SpanStatusCode } from '@opentelemetry/api';
import { redactQueryString } from '@mira/logging';
import { scrubUrlAttributes, UrlRedactingSpanProcessor } from './url-redacting.processor';

// The real SDK and its in-memory exporter: what an exporter receives after the processor ran.
describe('UrlRedactingSpanProcessor', () => {
  it("drops the auth callback's query and masks token-named params in URL attributes before export", async () => {
    redactQueryString('/inbox/callback');
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({
      spanProcessors: [new UrlRedactingSpanProcessor(new SimpleSpanProcessor(exporter))],
    });
    const tracer = provider.getTracer('test');
    tracer
      .startSpan('GET /inbox/callback', {
        attributes: {
          'http.url': 'https://mira.example/inbox/callback?code=oidc-code-1&state=state-2',
          'url.full': 'https://mira.example/inbox/callback/?code=oidc-code-1&state=state-2',
          'http.target': '/inbox/callback?code=oidc-code-1&state=state-2',
          'url.path': '/inbox/callback',
          'url.query': 'code=oidc-code-1&state=state-2',
        },
      })
      .end();
    const out = tracer.startSpan('POST');
    out.setAttributes({
      'url.full': 'https://u:pw-3@hooks.example.com/x?page=2&token=tok-4&sig=sig-5',
      'url.path': '/x',
      'url.query': 'page=2&token=tok-4',
      'http.url': 'https://hooks.slack.com/services/T1/B2/slack-6',
    });
    out.end();
    await provider.forceFlush();
    const [callback, outgoing] = exporter.getFinishedSpans().map((s) => s.attributes);
    expect(JSON.stringify(exporter.getFinishedSpans().map((s) => s.attributes))).not.toMatch(
      /oidc-code-1|state-2|pw-3|tok-4|sig-5|slack-6/,
    );
    expect(callback).toMatchObject({
      'http.url': 'https://mira.example/inbox/callback?[REDACTED]',
      'url.full': 'https://mira.example/inbox/callback/?[REDACTED]',
      'http.target': '/inbox/callback?[REDACTED]',
      'url.query': '[REDACTED]',
    });
    expect(outgoing).toMatchObject({
      'url.full': 'https://[redacted]@hooks.example.com/x?page=2&token=[redacted]&sig=[redacted]',
      'url.query': 'page=2&token=[redacted]',
      'http.url': 'https://hooks.slack.com/services/[redacted]',
    });
    await provider.shutdown();
  });

  it('scrubs URLs quoted in exception events and the status message, and a percent-encoded callback path', async () => {
    redactQueryString('/inbox/callback');
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({
      spanProcessors: [new UrlRedactingSpanProcessor(new SimpleSpanProcessor(exporter))],
    });
    const tracer = provider.getTracer('test');
    const span = tracer.startSpan('POST hook');
    const err = new Error('fetch https://u:pw-1@hooks.example.com/x?token=tok-2 failed');
    err.stack = `Error: at https://hooks.slack.com/services/T1/B2/slack-3\n    at post (x.js:1:1)`;
    span.recordException(err);
    span.addEvent('retry', { target: 'https://h.example.com/?sig=sig-4', attempt: 2 });
    span.setStatus({
      code: SpanStatusCode.ERROR,
      message: 'POST https://h.example.com/?secret=sec-5 answered 500',
    });
    span.end();
    tracer
      .startSpan('GET /inbox/%63allback', {
        attributes: {
          'http.target': '/inbox/%63allback?code=oidc-code-6&state=state-7',
          'url.path': '/inbox/%63allback',
          'url.query': 'code=oidc-code-6&state=state-7',
        },
      })
      .end();
    await provider.forceFlush();
    const [failed, callback] = exporter.getFinishedSpans();
    const exported = JSON.stringify(
      exporter.getFinishedSpans().map((s) => [s.attributes, s.events, s.status]),
    );
    expect(exported).not.toMatch(/pw-1|tok-2|slack-3|sig-4|sec-5|oidc-code-6|state-7/);
    expect(failed.events[0].attributes?.['exception.message']).toBe(
      'fetch https://[redacted]@hooks.example.com/x?token=[redacted] failed',
    );
    expect(failed.events[1].attributes).toEqual({
      target: 'https://h.example.com/?sig=[redacted]',
      attempt: 2,
    });
    expect(failed.status.message).toBe('POST https://h.example.com/?secret=[redacted] answered 500');
    expect(callback.attributes).toMatchObject({
      'http.target': '/inbox/%63allback?[REDACTED]',
      'url.query': '[REDACTED]',
    });
    await provider.shutdown();
  });

  it('scrubs a 64 KB URL attribute holding a newline in linear time', () => {
    const attributes = { 'url.full': `https://h.example.com${'a'.repeat(64 * 1024)}\n?token=tok-1` };
    const started = process.hrtime.bigint();
    scrubUrlAttributes(attributes);
    // Generous: the old `(.*)$` split backtracked quadratically here (seconds); linear is about a millisecond.
    expect(Number(process.hrtime.bigint() - started) / 1e6).toBeLessThan(500);
    expect(attributes['url.full']).toMatch(/^https:\/\/h\.example\.coma+\n\?token=\[redacted\]$/);
  });
});
