import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { CountingSpanProcessor } from './counting-span.processor';

// The real SDK and the real OTLP/protobuf exporter over real HTTP: to a receiver that accepts,
// to a port nobody listens on, and with a queue too small for what is ended.

function listen(server: Server): Promise<string> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`),
    ),
  );
}

async function closedPortUrl(): Promise<string> {
  const s = createServer();
  const url = await listen(s);
  await new Promise((r) => s.close(r));
  return url;
}

function endSpans(processor: CountingSpanProcessor, n: number): BasicTracerProvider {
  const provider = new BasicTracerProvider({ spanProcessors: [processor] });
  const tracer = provider.getTracer('test');
  for (let i = 0; i < n; i++) tracer.startSpan(`span ${i}`).end();
  return provider;
}

describe('CountingSpanProcessor', () => {
  it('counts spans the collector accepted', async () => {
    let requests = 0;
    const receiver = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        requests++;
        res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
      });
    });
    const url = await listen(receiver);
    try {
      const processor = new CountingSpanProcessor(new OTLPTraceExporter({ url: `${url}/v1/traces` }), {
        maxQueueSize: 100,
        exportTimeoutMs: 5000,
      });
      const provider = endSpans(processor, 7);
      await provider.forceFlush();
      expect(processor.stats).toEqual({ exported: 7, dropped: 0 });
      expect(requests).toBeGreaterThan(0);
      await provider.shutdown();
    } finally {
      await new Promise((r) => receiver.close(r));
    }
  });

  it('counts every span of a batch the exporter could not deliver (collector down)', async () => {
    const processor = new CountingSpanProcessor(
      new OTLPTraceExporter({ url: `${await closedPortUrl()}/v1/traces`, timeoutMillis: 2000 }),
      { maxQueueSize: 100, exportTimeoutMs: 2000 },
    );
    const provider = endSpans(processor, 5);
    // The flush reports the failed export; what matters here is the count.
    await expect(provider.forceFlush()).rejects.toBeDefined();
    expect(processor.stats).toEqual({ exported: 0, dropped: 5 });
    await provider.shutdown().catch(() => undefined);
  });

  it('counts spans dropped because the queue is full, without blocking the caller', async () => {
    const processor = new CountingSpanProcessor(
      new OTLPTraceExporter({ url: `${await closedPortUrl()}/v1/traces`, timeoutMillis: 2000 }),
      { maxQueueSize: 4, exportTimeoutMs: 2000, scheduledDelayMs: 60_000 },
    );
    // Ten spans end synchronously (no export can finish meanwhile): beyond the queue's 4 and
    // the batch already handed to the exporter, spans are dropped at once, and counted.
    const provider = endSpans(processor, 10);
    expect(processor.stats.dropped).toBeGreaterThan(0);
    expect(processor.stats.dropped).toBeLessThanOrEqual(6);
    // The queued ones then fail to export too (the flush rejects at the first failed batch, so
    // wait for the rest): every span is accounted for.
    await provider.forceFlush().catch(() => undefined);
    for (let i = 0; i < 100 && processor.stats.dropped < 10; i++) {
      await provider.forceFlush().catch(() => undefined);
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(processor.stats).toEqual({ exported: 0, dropped: 10 });
    await provider.shutdown().catch(() => undefined);
  });
});
