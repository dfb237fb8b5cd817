import type { NodeSDK } from '@opentelemetry/sdk-node';
import type { CountingSpanProcessor, SpanCounts } from './counting-span.processor';
import type { TracingSettings } from './tracing.settings';

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
  // Only now: with tracing off the SDK is never loaded (see tracing.otel.ts).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { buildSdk } = require('./tracing.otel') as typeof import('./tracing.otel');
  const { sdk, processor } = buildSdk(settings, extra);
  sdk.start();
  runtime = new TracingRuntime(settings, sdk, processor);
  return runtime;
}
