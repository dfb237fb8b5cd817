export { TracingModule } from './tracing.module';
export { TracingError, type TracingErrorCode } from './tracing.error';
export {
  resolveTracingSettings,
  parseResourceAttributes,
  SAMPLERS,
  type SamplerName,
  type TracingSettings,
  type TracingProtocol,
} from './tracing.settings';
export { startTracing, activeTracing, tracingSettings, buildSampler, TracingRuntime } from './tracing.sdk';
export { startTracingFromEnvironment } from './tracing.start';
export { CountingSpanProcessor, type SpanCounts } from './counting-span.processor';
export { tracingConfig, tracingSchema, TRACING_PROTOCOLS } from './tracing.config';
