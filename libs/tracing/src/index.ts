export { TracingModule } from './tracing.module';
export { HttpServerSpans, httpServerSpans } from './http-server.spans';
export { TracingError, type TracingErrorCode } from './tracing.error';
export {
  resolveTracingSettings,
  parseResourceAttributes,
  SAMPLERS,
  type SamplerName,
  type TracingSettings,
  type TracingProtocol,
} from './tracing.settings';
export { startTracing, activeTracing, tracingSettings, TracingRuntime } from './tracing.sdk';
export { startTracingFromEnvironment } from './tracing.start';
export type { SpanCounts } from './counting-span.processor';
export { tracingConfig, tracingSchema, TRACING_PROTOCOLS } from './tracing.config';
