// The first import of main.ts: the OpenTelemetry SDK must be registered before the modules it
// instruments (http, ioredis, pg) are wrapped by the application. A no-op unless an OTLP
// endpoint is configured.
import { startTracingFromEnvironment } from '@mira/tracing';

export const tracingStart = startTracingFromEnvironment();
