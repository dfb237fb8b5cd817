import { trace } from '@opentelemetry/api';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { Counter, type CounterConfiguration, Registry } from 'prom-client';
import type { MetricsService } from '@mira/metrics';
import { FlagsObserver } from './flags.observer';

describe('FlagsObserver', () => {
  it('adds the feature_flag.evaluation event to the active span (semantic conventions)', () => {
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    const observer = new FlagsObserver(null);
    const span = provider.getTracer('test').startSpan('request');
    // The active span is read from the context; bind it without a global context manager.
    const spy = jest.spyOn(trace, 'getActiveSpan').mockReturnValue(span);
    observer.record({
      flagKey: 'a.b',
      providerName: 'mira-config',
      targetingKey: 'ops',
      variant: 'on',
      reason: 'TARGETING_MATCH',
    });
    spy.mockRestore();
    span.end();
    const [ended] = exporter.getFinishedSpans();
    expect(ended.events).toEqual([
      expect.objectContaining({
        name: 'feature_flag.evaluation',
        attributes: {
          'feature_flag.key': 'a.b',
          'feature_flag.provider.name': 'mira-config',
          'feature_flag.result.variant': 'on',
          'feature_flag.result.reason': 'targeting_match',
          'feature_flag.context.id': 'ops',
        },
      }),
    ]);
  });

  it('counts by configured flag keys and variants only', async () => {
    const registry = new Registry();
    const metrics = {
      counter: (c: CounterConfiguration<string>) => new Counter({ ...c, registers: [registry] }),
    } as unknown as MetricsService;
    const observer = new FlagsObserver(metrics);
    observer.allow({ known: { variants: { on: true, off: false } } });
    observer.record({ flagKey: 'known', providerName: 'p', variant: 'on', reason: 'STATIC' });
    observer.record({ flagKey: 'random-1', providerName: 'p', variant: 'x', reason: 'ERROR' });
    const text = await registry.metrics();
    expect(text).toContain(
      'mira_feature_flag_evaluations_total{flag="known",variant="on",reason="STATIC"} 1',
    );
    expect(text).toContain(
      'mira_feature_flag_evaluations_total{flag="other",variant="other",reason="ERROR"} 1',
    );
  });
});
