// The first import of main.ts: the OpenTelemetry SDK must be registered before the modules it
// instruments (http, ioredis, pg) are wrapped by the application. A no-op unless an OTLP
// endpoint is configured.
import { readOnce } from '@mira/config';
import { startTracingFromEnvironment } from '@mira/tracing';

/** Reads and parses the config file once for the whole start (here, the plugin list, the load). */
export const startupConfigRead = readOnce();

export const tracingStart = startTracingFromEnvironment(process.env, startupConfigRead);
