import { readConfigSection, type ConfigFileRead, type MiraConfig } from '@mira/config';
import { tracingConfig } from './tracing.config';
import { startTracing, type TracingRuntime } from './tracing.sdk';
import { resolveTracingSettings } from './tracing.settings';

/**
 * Starts tracing from the process environment and the config file's `tracing` section. Never
 * stops the start: an unreadable or invalid config is reported by the real bootstrap right
 * after, and an invalid OTEL_* value is returned for it to report. `read` reads the config file
 * (the bootstrap passes a readOnce() reader it reuses, so the file is parsed once per start).
 */
export function startTracingFromEnvironment(
  env: NodeJS.ProcessEnv = process.env,
  read?: ConfigFileRead,
): {
  runtime: TracingRuntime | null;
  error: Error | null;
} {
  let section: MiraConfig['tracing'] | undefined;
  try {
    // Only this section: the other libs' sections are not registered yet (this runs first).
    section = readConfigSection(tracingConfig, { env }, read);
  } catch {
    section = undefined;
  }
  try {
    return { runtime: startTracing(resolveTracingSettings(section, env)), error: null };
  } catch (err) {
    return { runtime: null, error: err as Error };
  }
}
