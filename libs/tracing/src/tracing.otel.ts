import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter as OTLPJsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OTLPProtoTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { NodeSDK } from '@opentelemetry/sdk-node';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  type Sampler,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import { CountingSpanProcessor } from './counting-span.processor';
import { UrlRedactingSpanProcessor } from './url-redacting.processor';
import type { TracingSettings } from './tracing.settings';

// Loaded by startTracing only when tracing is on: the SDK, its exporters and instrumentations are
// about 2,000 files, which cost about 0.4 s of every start (bench/startup.js) when nothing exports.

export function buildSampler(settings: Pick<TracingSettings, 'sampler' | 'ratio'>): Sampler {
  const ratio = new TraceIdRatioBasedSampler(settings.ratio);
  switch (settings.sampler) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return ratio;
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: ratio });
  }
}

export function buildExporter(settings: TracingSettings): SpanExporter {
  const options = { url: settings.tracesUrl ?? undefined, timeoutMillis: settings.exportTimeoutMs };
  return settings.protocol === 'http/json'
    ? new OTLPJsonTraceExporter(options)
    : new OTLPProtoTraceExporter(options);
}

/** The SDK, configured and not yet started, with the processor whose counts /metrics shows. */
export function buildSdk(
  settings: TracingSettings,
  extra: { scheduledDelayMs?: number },
): { sdk: NodeSDK; processor: CountingSpanProcessor } {
  const processor = new CountingSpanProcessor(buildExporter(settings), {
    maxQueueSize: settings.maxQueueSize,
    exportTimeoutMs: settings.exportTimeoutMs,
    scheduledDelayMs: extra.scheduledDelayMs,
  });
  const sdk = new NodeSDK({
    resource: resourceFromAttributes({
      ...settings.resourceAttributes,
      [ATTR_SERVICE_NAME]: settings.serviceName,
      [ATTR_SERVICE_VERSION]:
        process.env.npm_package_version ?? settings.resourceAttributes['service.version'] ?? '0.0.0',
    }),
    autoDetectResources: false,
    sampler: buildSampler(settings),
    // Trace context only: W3C baggage from a client would otherwise ride along into every
    // broker message and outgoing call.
    textMapPropagator: new W3CTraceContextPropagator(),
    // URL attributes scrubbed first (OIDC callback query, token-named params), then batched.
    spanProcessors: [new UrlRedactingSpanProcessor(processor)],
    // Traces only: metrics stay on /metrics (prom-client), logs on stdout.
    metricReaders: [],
    logRecordProcessors: [],
    instrumentations: instrumentations(process.env.OTEL_NODE_DISABLED_INSTRUMENTATIONS),
  });
  return { sdk, processor };
}

/**
 * http (outgoing calls), ioredis and pg, less those named in OTEL_NODE_DISABLED_INSTRUMENTATIONS
 * (comma-separated, the variable OpenTelemetry's Node auto-instrumentation reads).
 */
function instrumentations(disabled: string | undefined) {
  const off = new Set((disabled ?? '').split(',').map((s) => s.trim().toLowerCase()));
  return [
    off.has('http')
      ? null
      : new HttpInstrumentation({
          // Server spans come from HttpServerSpans (Fastify hooks): cheaper, and named by route.
          disableIncomingRequestInstrumentation: true,
          // Outgoing calls (Vault, Kubernetes, webhooks out) only inside a trace, never as roots.
          requireParentforOutgoingSpans: true,
        }),
    off.has('ioredis')
      ? null
      : new IORedisInstrumentation({
          requireParentSpan: true,
          // The command name only: arguments carry message bodies (XADD, EVAL) and AUTH passwords.
          dbStatementSerializer: (command: string) => command,
        }),
    // Query text with placeholders; bound values are never recorded (enhancedDatabaseReporting off).
    off.has('pg')
      ? null
      : new PgInstrumentation({ requireParentSpan: true, enhancedDatabaseReporting: false }),
  ].filter((i) => i !== null);
}
