import { type DynamicModule, Module } from '@nestjs/common';
import { HttpMetricsRecorder } from './http-metrics.hook';
import { MetricsController } from './exposition/metrics.controller';
import { ConfigurableModuleClass, type OPTIONS_TYPE } from './metrics.module-definition';
import { MetricsService } from './registry/metrics.service';

/**
 * Global: `MetricsModule.forRoot()` once in the app. Provides MetricsService (the app's own
 * registry and get-or-create helpers), GET /metrics and HTTP timing. A leaf: it knows no other
 * lib; the broker, agent, config, health and webhook collectors live with their data and
 * register their series into MetricsService.
 */
@Module({
  controllers: [MetricsController],
  providers: [MetricsService, HttpMetricsRecorder],
  exports: [MetricsService],
})
export class MetricsModule extends ConfigurableModuleClass {
  static override forRoot(options: typeof OPTIONS_TYPE = {}): DynamicModule {
    return super.forRoot(options);
  }
}
