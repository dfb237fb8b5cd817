import { miraConfigSchema } from '@mira/config';
import { TracingError } from './tracing.error';
import { parseResourceAttributes, resolveTracingSettings } from './tracing.settings';

const section = (tracing: Record<string, unknown> = {}) => miraConfigSchema.parse({ tracing }).tracing;

describe('resolveTracingSettings', () => {
  it('is off unless an endpoint is configured, and says why', () => {
    const s = resolveTracingSettings(section(), {});
    expect(s.enabled).toBe(false);
    expect(s.tracesUrl).toBeNull();
    expect(s.disabledReason).toMatch(/OTEL_EXPORTER_OTLP_ENDPOINT or tracing\.endpoint/);
  });

  it('takes the endpoint from the config section and appends /v1/traces', () => {
    const s = resolveTracingSettings(section({ endpoint: 'http://collector:4318/' }), {});
    expect(s).toMatchObject({
      enabled: true,
      tracesUrl: 'http://collector:4318/v1/traces',
      protocol: 'http/protobuf',
      serviceName: 'mira',
      sampler: 'parentbased_traceidratio',
      ratio: 1,
    });
  });

  it('lets the standard OTEL_* variables win over the section', () => {
    const s = resolveTracingSettings(
      section({
        endpoint: 'http://file:4318',
        protocol: 'http/protobuf',
        sample_ratio: 0.5,
        service_name: 'x',
      }),
      {
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://env:4318',
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_SERVICE_NAME: 'mira-prod',
        OTEL_TRACES_SAMPLER: 'traceidratio',
        OTEL_TRACES_SAMPLER_ARG: '0.1',
        OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=prod,team=tpm%20tools',
      },
    );
    expect(s).toMatchObject({
      tracesUrl: 'http://env:4318/v1/traces',
      protocol: 'http/json',
      serviceName: 'mira-prod',
      sampler: 'traceidratio',
      ratio: 0.1,
    });
    expect(s.resourceAttributes).toEqual({ 'deployment.environment': 'prod', team: 'tpm tools' });
  });

  it('uses OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as the full URL', () => {
    const s = resolveTracingSettings(section(), {
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://c:4318/custom',
    });
    expect(s.tracesUrl).toBe('http://c:4318/custom');
  });

  it('OTEL_SDK_DISABLED=true and tracing.enabled: false switch it off even with an endpoint', () => {
    expect(
      resolveTracingSettings(section(), {
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318',
        OTEL_SDK_DISABLED: 'true',
      }),
    ).toMatchObject({ enabled: false, disabledReason: 'OTEL_SDK_DISABLED=true' });
    expect(resolveTracingSettings(section({ enabled: false, endpoint: 'http://c:4318' }), {})).toMatchObject({
      enabled: false,
      disabledReason: 'tracing.enabled is false',
    });
  });

  it('refuses unsupported values with a message saying what to set', () => {
    const env = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' };
    expect(() => resolveTracingSettings(section(), { ...env, OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' })).toThrow(
      /OTEL_EXPORTER_OTLP_PROTOCOL: "grpc" is not supported; use http\/protobuf/,
    );
    expect(() => resolveTracingSettings(section(), { ...env, OTEL_TRACES_SAMPLER: 'jaeger_remote' })).toThrow(
      TracingError,
    );
    expect(() => resolveTracingSettings(section(), { ...env, OTEL_TRACES_SAMPLER_ARG: '2' })).toThrow(
      /OTEL_TRACES_SAMPLER_ARG: "2" is not a ratio between 0 and 1/,
    );
  });

  it('ignores unsupported OTEL_* values while tracing is off (a platform default must not stop the service)', () => {
    const odd = { OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_TRACES_SAMPLER: 'parentbased_jaeger_remote' };
    const off = resolveTracingSettings(section(), odd);
    expect(off).toMatchObject({
      enabled: false,
      protocol: 'http/protobuf',
      sampler: 'parentbased_traceidratio',
    });
    expect(resolveTracingSettings(section(), { ...odd, OTEL_SDK_DISABLED: 'true' }).enabled).toBe(false);
  });

  it('the config section validates its own keys', () => {
    expect(() => section({ protocol: 'grpc' })).toThrow();
    expect(() => section({ sample_ratio: 1.5 })).toThrow();
    expect(() => section({ endpoint: 'not a url' })).toThrow();
  });
});

describe('parseResourceAttributes', () => {
  it('reads k=v pairs, skips malformed ones', () => {
    expect(parseResourceAttributes('a=1, b = two ,broken,=x')).toEqual({ a: '1', b: 'two' });
    expect(parseResourceAttributes(undefined)).toEqual({});
  });
});
