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
import { CountingSpanProcessor, type SpanCounts } from './counting-span.processor';
import type { TracingSettings } from './tracing.settings';

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

/** The started SDK: span counts for /metrics and the flush the shutdown hook calls. */
export class TracingRuntime {
  private stopped = false;
  constructor(
    readonly settings: TracingSettings,
    private readonly sdk: NodeSDK,
    private readonly processor: CountingSpanProcessor,
  ) {}

  get spans(): Readonly<SpanCounts> {
    return this.processor.stats;
  }

  /** Exports what is queued (bounded by the export timeout); never throws. */
  async flush(): Promise<void> {
    await this.processor.forceFlush().catch(() => undefined);
  }

  async shutdown(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.sdk.shutdown().catch(() => undefined);
  }
}

let runtime: TracingRuntime | null = null;
let startSettings: TracingSettings | null = null;

/** The running SDK, or null when tracing is off. */
export function activeTracing(): TracingRuntime | null {
  return runtime;
}

/** The settings tracing was (or was not) started with; null before startTracing ran. */
export function tracingSettings(): TracingSettings | null {
  return startSettings;
}

/**
 * Starts the OpenTelemetry SDK (W3C propagation, async-local context, HTTP/ioredis/pg
 * instrumentation, batched OTLP export) once per process. Must run before the application's
 * modules are loaded, so the instrumentations wrap them. With tracing off it registers nothing:
 * @opentelemetry/api stays a no-op and the spans the libs open cost next to nothing.
 */
export function startTracing(
  settings: TracingSettings,
  extra: { scheduledDelayMs?: number } = {},
): TracingRuntime | null {
  startSettings = settings;
  if (runtime || !settings.enabled) return runtime;
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
    spanProcessors: [processor],
    // Traces only: metrics stay on /metrics (prom-client), logs on stdout.
    metricReaders: [],
    logRecordProcessors: [],
    instrumentations: instrumentations(process.env.OTEL_NODE_DISABLED_INSTRUMENTATIONS),
  });
  sdk.start();
  runtime = new TracingRuntime(settings, sdk, processor);
  return runtime;
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
