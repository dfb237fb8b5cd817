import { TraceFlags, type Context } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import {
  BatchSpanProcessor,
  type ReadableSpan,
  type Span,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';

export interface SpanCounts {
  /** Spans handed to the exporter and acknowledged by the collector. */
  exported: number;
  /** Spans lost: the queue was full, or their batch failed to export (collector down or slow). */
  dropped: number;
}

export interface CountingProcessorOptions {
  maxQueueSize: number;
  exportTimeoutMs: number;
  /** How long spans wait to fill a batch (the SDK default is 5 s; tests use less). */
  scheduledDelayMs?: number;
}

/**
 * The SDK's BatchSpanProcessor (bounded queue, background export, never blocks the caller)
 * plus what it does not expose: how many spans were dropped. It mirrors the processor's queue
 * length (ended, sampled spans not yet handed to the exporter) so a full queue is counted the
 * moment the processor discards a span, and counts every span of a batch the exporter failed.
 */
export class CountingSpanProcessor implements SpanProcessor {
  private readonly inner: BatchSpanProcessor;
  private readonly maxQueueSize: number;
  private queued = 0;
  private readonly counts: SpanCounts = { exported: 0, dropped: 0 };

  constructor(exporter: SpanExporter, options: CountingProcessorOptions) {
    this.maxQueueSize = options.maxQueueSize;
    const counting: SpanExporter = {
      export: (spans: ReadableSpan[], done: (result: ExportResult) => void) => {
        this.queued = Math.max(0, this.queued - spans.length);
        exporter.export(spans, (result) => {
          if (result.code === ExportResultCode.SUCCESS) this.counts.exported += spans.length;
          else this.counts.dropped += spans.length;
          done(result);
        });
      },
      shutdown: () => exporter.shutdown(),
      forceFlush: () => exporter.forceFlush?.() ?? Promise.resolve(),
    };
    this.inner = new BatchSpanProcessor(counting, {
      maxQueueSize: options.maxQueueSize,
      maxExportBatchSize: Math.min(512, options.maxQueueSize),
      exportTimeoutMillis: options.exportTimeoutMs,
      scheduledDelayMillis: options.scheduledDelayMs,
    });
  }

  get stats(): Readonly<SpanCounts> {
    return this.counts;
  }

  onStart(span: Span, parentContext: Context): void {
    this.inner.onStart(span, parentContext);
  }

  onEnd(span: ReadableSpan): void {
    if ((span.spanContext().traceFlags & TraceFlags.SAMPLED) !== 0) {
      if (this.queued >= this.maxQueueSize) this.counts.dropped++;
      else this.queued++;
    }
    this.inner.onEnd(span);
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush();
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }
}
