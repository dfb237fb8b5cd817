import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import * as protobuf from 'protobufjs';
import { listenLoopback } from './loopback-server';

/** One span as a test reads it (ids as lower-case hex, attributes as plain values). */
export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  /** '' for a root span. */
  parentSpanId: string;
  name: string;
  kind: 'INTERNAL' | 'SERVER' | 'CLIENT' | 'PRODUCER' | 'CONSUMER' | 'UNSPECIFIED';
  attributes: Record<string, unknown>;
  statusCode: number;
  /** Resource attributes of the process that sent it (service.name, service.instance.id, ...). */
  resource: Record<string, unknown>;
  scope: string;
}

export interface OtlpReceiver {
  /** Base URL to give as OTEL_EXPORTER_OTLP_ENDPOINT (the exporter appends /v1/traces). */
  url: string;
  spans(): ReceivedSpan[];
  /** Content types of the export requests received (application/x-protobuf or application/json). */
  contentTypes(): string[];
  /** Polls until `pick` returns a value for the received spans. */
  waitFor<T>(pick: (spans: ReceivedSpan[]) => T | undefined | null | false, timeoutMs?: number): Promise<T>;
  close(): Promise<void>;
}

const KINDS = ['UNSPECIFIED', 'INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER'] as const;

// Decoded with the published OTLP protobuf definitions (support/otlp/trace.proto) through
// protobufjs, the protobuf runtime the OpenTelemetry JS packages install: no hand-parsing.
const requestType = protobuf
  .parse(readFileSync(join(__dirname, 'otlp/trace.proto'), 'utf8'))
  .root.lookupType('opentelemetry.proto.ExportTraceServiceRequest');

/** OTLP/protobuf bytes -> the OTLP/JSON shape (camelCase fields, hex ids), so both decode alike. */
export function decodeProtobufRequest(body: Uint8Array): any {
  const message = requestType.decode(body);
  return requestType.toObject(message, { longs: String, enums: Number, bytes: String, defaults: true });
}

function hex(value: unknown, base64: boolean): string {
  if (typeof value !== 'string' || value === '') return '';
  return base64 ? Buffer.from(value, 'base64').toString('hex') : value.toLowerCase();
}

function anyValue(v: any): unknown {
  if (!v) return undefined;
  if ('stringValue' in v && v.stringValue !== undefined) return v.stringValue;
  if ('intValue' in v && v.intValue !== undefined) return Number(v.intValue);
  if ('doubleValue' in v && v.doubleValue !== undefined) return v.doubleValue;
  if ('boolValue' in v && v.boolValue !== undefined) return v.boolValue;
  if (v.arrayValue) return (v.arrayValue.values ?? []).map(anyValue);
  return undefined;
}

function attributes(list: any[] | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const kv of list ?? []) out[kv.key] = anyValue(kv.value);
  return out;
}

/** Flattens an ExportTraceServiceRequest (OTLP/JSON shape) into spans. */
export function spansOf(request: any, base64Ids: boolean): ReceivedSpan[] {
  const out: ReceivedSpan[] = [];
  for (const rs of request.resourceSpans ?? []) {
    const resource = attributes(rs.resource?.attributes);
    for (const ss of rs.scopeSpans ?? []) {
      for (const s of ss.spans ?? []) {
        out.push({
          traceId: hex(s.traceId, base64Ids),
          spanId: hex(s.spanId, base64Ids),
          parentSpanId: hex(s.parentSpanId, base64Ids),
          name: s.name,
          kind: KINDS[Number(s.kind ?? 0)] ?? 'UNSPECIFIED',
          attributes: attributes(s.attributes),
          statusCode: Number(s.status?.code ?? 0),
          resource,
          scope: ss.scope?.name ?? '',
        });
      }
    }
  }
  return out;
}

/**
 * An OTLP/HTTP trace receiver on a free loopback port (what a collector's otlp receiver does
 * for /v1/traces): decodes protobuf and JSON export requests and keeps the spans.
 */
export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const received: ReceivedSpan[] = [];
  const types: string[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/traces') {
        res.writeHead(404).end();
        return;
      }
      const body = Buffer.concat(chunks);
      const type = String(req.headers['content-type'] ?? '');
      types.push(type);
      try {
        if (type.startsWith('application/json'))
          received.push(...spansOf(JSON.parse(body.toString('utf8')), false));
        else received.push(...spansOf(decodeProtobufRequest(body), true));
      } catch (err) {
        res.writeHead(400, { 'content-type': 'text/plain' }).end(String(err));
        return;
      }
      // An empty ExportTraceServiceResponse: full success in either encoding.
      if (type.startsWith('application/json'))
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      else res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  const listening = await listenLoopback(server);
  return {
    url: listening.url,
    spans: () => [...received],
    contentTypes: () => [...types],
    async waitFor(pick, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const value = pick([...received]);
        if (value) return value;
        if (Date.now() > deadline)
          throw new Error(
            `OTLP receiver: condition not met within ${timeoutMs} ms; spans: ${received.map((s) => s.name).join(', ')}`,
          );
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    close: () => listening.close(),
  };
}
