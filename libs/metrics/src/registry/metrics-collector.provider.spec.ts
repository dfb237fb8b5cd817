import { Inject, Injectable, Module, Optional } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { Counter } from 'prom-client';
import { metricsCollector } from './metrics-collector.provider';
import { MetricsModule } from '../metrics.module';
import { MetricsService } from './metrics.service';

const SOURCE = Symbol('source');

/** A collector as another lib writes one: registry first, then the data it reads. */
class JobMetrics {
  readonly done: Counter<'kind'>;
  constructor(metrics: MetricsService, source: { queued: number }) {
    this.done = metrics.counter({ name: 'test_jobs_done_total', help: 'done', labelNames: ['kind'] });
    metrics.gauge({
      name: 'test_jobs_queued',
      help: 'queued',
      collect() {
        this.set(source.queued);
      },
    });
  }
}

@Injectable()
class JobRunner {
  constructor(@Optional() @Inject(JobMetrics) readonly metrics: JobMetrics | null = null) {}
}

@Module({
  providers: [
    { provide: SOURCE, useValue: { queued: 7 } },
    metricsCollector(JobMetrics, [SOURCE]),
    JobRunner,
  ],
  exports: [JobRunner],
})
class JobsModule {}

describe('metricsCollector', () => {
  it('builds the collector with the app registry and its dependencies; its series are scraped', async () => {
    const ref = await Test.createTestingModule({
      imports: [MetricsModule.forRoot({ defaultMetrics: false }), JobsModule],
    }).compile();
    const runner = ref.get(JobRunner);
    expect(runner.metrics).toBeInstanceOf(JobMetrics);
    runner.metrics?.done.inc({ kind: 'a' });
    const text = await ref.get(MetricsService).render();
    expect(text).toContain('test_jobs_done_total{kind="a"} 1');
    expect(text).toContain('test_jobs_queued 7');
    await ref.close();
  });

  it('is null in an app without MetricsService, so an optional consumer skips metric work', async () => {
    const ref = await Test.createTestingModule({ imports: [JobsModule] }).compile();
    expect(ref.get(JobRunner).metrics).toBeNull();
    await ref.close();
  });
});
