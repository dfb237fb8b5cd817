import type { MiraConfig } from '@mira/config';
import { TracingError } from './tracing.error';

export type TracingProtocol = MiraConfig['tracing']['protocol'];

export const SAMPLERS = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
] as const;
export type SamplerName = (typeof SAMPLERS)[number];

/** What the SDK is started with, after OTEL_* variables and the `tracing` section are merged. */
export interface TracingSettings {
  enabled: boolean;
  /** Why tracing is off (for the one start-up line), or null when on. */
  disabledReason: string | null;
  /** The full traces URL (…/v1/traces), or null when off. */
  tracesUrl: string | null;
  protocol: TracingProtocol;
  serviceName: string;
  sampler: SamplerName;
  ratio: number;
  resourceAttributes: Record<string, string>;
  maxQueueSize: number;
  exportTimeoutMs: number;
}

type TracingSection = MiraConfig['tracing'];

const DEFAULT_SECTION: TracingSection = {
  enabled: true,
  endpoint: null,
  protocol: 'http/protobuf',
  service_name: 'mira',
  sample_ratio: 1,
  resource_attributes: {},
  max_queue_size: 2048,
  export_timeout_ms: 10000,
};

const nonEmpty = (v: string | undefined) => (v !== undefined && v.trim() !== '' ? v.trim() : undefined);

/** `k1=v1,k2=v2` (values percent-decoded, as the OTEL spec says). */
export function parseResourceAttributes(value: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of (value ?? '').split(',')) {
    const i = pair.indexOf('=');
    if (i <= 0) continue;
    const key = pair.slice(0, i).trim();
    try {
      out[key] = decodeURIComponent(pair.slice(i + 1).trim());
    } catch {
      out[key] = pair.slice(i + 1).trim();
    }
  }
  return out;
}

function ratioOf(value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n > 1)
    throw new TracingError(
      'TRACING_INVALID_SETTING',
      `OTEL_TRACES_SAMPLER_ARG: "${value}" is not a ratio between 0 and 1; set e.g. 0.1`,
    );
  return n;
}

/**
 * Standard OTEL_* variables win over the `tracing` config section (the SDK convention
 * operators expect); tracing stays off unless an endpoint is set by either.
 */
export function resolveTracingSettings(
  section: TracingSection | undefined,
  env: NodeJS.ProcessEnv,
): TracingSettings {
  const s = section ?? DEFAULT_SECTION;
  const tracesEndpoint = nonEmpty(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
  const baseEndpoint = nonEmpty(env.OTEL_EXPORTER_OTLP_ENDPOINT) ?? s.endpoint ?? undefined;
  const tracesUrl = tracesEndpoint ?? (baseEndpoint ? `${baseEndpoint.replace(/\/+$/, '')}/v1/traces` : null);

  const disabledReason = /^true$/i.test(env.OTEL_SDK_DISABLED?.trim() ?? '')
    ? 'OTEL_SDK_DISABLED=true'
    : !s.enabled
      ? 'tracing.enabled is false'
      : !tracesUrl
        ? 'no OTLP endpoint configured (OTEL_EXPORTER_OTLP_ENDPOINT or tracing.endpoint)'
        : null;

  const protocolValue =
    nonEmpty(env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL) ??
    nonEmpty(env.OTEL_EXPORTER_OTLP_PROTOCOL) ??
    s.protocol;
  // Checked only when tracing is on: a platform's OTEL_* defaults must not stop a service that
  // does not trace (the spec says to fall back, and with tracing off nothing reads them).
  if (disabledReason === null && protocolValue !== 'http/protobuf' && protocolValue !== 'http/json')
    throw new TracingError(
      'TRACING_INVALID_SETTING',
      `OTEL_EXPORTER_OTLP_PROTOCOL: "${protocolValue}" is not supported; use http/protobuf (default) or http/json`,
    );

  const samplerValue = (nonEmpty(env.OTEL_TRACES_SAMPLER) ?? 'parentbased_traceidratio').toLowerCase();
  if (disabledReason === null && !(SAMPLERS as readonly string[]).includes(samplerValue))
    throw new TracingError(
      'TRACING_INVALID_SETTING',
      `OTEL_TRACES_SAMPLER: "${samplerValue}" is not supported; use one of ${SAMPLERS.join(', ')}`,
    );
  const ratio = ratioOf(nonEmpty(env.OTEL_TRACES_SAMPLER_ARG), s.sample_ratio);

  const envAttributes = parseResourceAttributes(env.OTEL_RESOURCE_ATTRIBUTES);
  const serviceName = nonEmpty(env.OTEL_SERVICE_NAME) ?? envAttributes['service.name'] ?? s.service_name;

  return {
    enabled: disabledReason === null,
    disabledReason,
    tracesUrl: disabledReason === null ? tracesUrl : null,
    // With tracing off an unsupported value was let through above: report the defaults instead.
    protocol: protocolValue === 'http/json' ? 'http/json' : 'http/protobuf',
    serviceName,
    sampler: ((SAMPLERS as readonly string[]).includes(samplerValue)
      ? samplerValue
      : 'parentbased_traceidratio') as SamplerName,
    ratio,
    resourceAttributes: { ...s.resource_attributes, ...envAttributes },
    maxQueueSize: s.max_queue_size,
    exportTimeoutMs: s.export_timeout_ms,
  };
}
