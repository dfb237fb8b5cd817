import { Injectable, Logger, Module, type OnApplicationBootstrap } from '@nestjs/common';
import { metricsCollector } from '@mira/metrics';
import { TracingMetrics } from './tracing.metrics';
import { activeTracing, tracingSettings } from './tracing.sdk';
import { TracingShutdownHook } from './tracing.shutdown';
import { ConfigModule } from '@mira/config';
import { tracingConfig } from './tracing.config';

/** One start-up line saying whether spans are exported and where (no credentials in it). */
@Injectable()
export class TracingStatusReporter implements OnApplicationBootstrap {
  private readonly logger = new Logger('Tracing');
  onApplicationBootstrap(): void {
    const runtime = activeTracing();
    if (!runtime) {
      const reason = tracingSettings()?.disabledReason ?? 'the SDK was not started before the application';
      this.logger.log(`Tracing off: ${reason}`);
      return;
    }
    const { tracesUrl, protocol, sampler, ratio, serviceName } = runtime.settings;
    let where = tracesUrl ?? '';
    try {
      const url = new URL(where);
      where = `${url.protocol}//${url.host}${url.pathname}`;
    } catch {
      /* shown as configured */
    }
    this.logger.log(
      `Tracing on: exporting spans of ${serviceName} to ${where} (${protocol}, sampler ${sampler}, ratio ${ratio})`,
    );
  }
}

/**
 * The Nest side of tracing: the SDK itself is started before the application loads (see
 * startTracing); this module adds its metrics, its flush on shutdown and a start-up line. Server spans come
 * from httpServerSpans(), whose hooks the app's HTTP edge registers.
 */
@Module({
  imports: [ConfigModule.forFeature(tracingConfig)],
  providers: [metricsCollector(TracingMetrics), TracingShutdownHook, TracingStatusReporter],
})
export class TracingModule {}
