import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { redactQueryString } from '@mira/logging';
import { UrlRedactingSpanProcessor } from './url-redacting.processor';

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
});
