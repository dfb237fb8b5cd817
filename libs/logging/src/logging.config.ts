import { z } from 'zod';
import { configValue, defineConfigSection } from '@mira/config';
import type { ConfigSectionsInput, ConfigSectionsOutput } from '@mira/config';

const { list } = configValue;

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
const LEVEL_ALIASES: Readonly<Record<string, string>> = { warning: 'warn', critical: 'fatal' };

export const loggingSchema = z
  .strictObject({
    // Any case (the reference writes INFO); Python's WARNING and CRITICAL are warn and fatal.
    level: z
      .preprocess(
        (v) =>
          typeof v === 'string' ? (LEVEL_ALIASES[v.trim().toLowerCase()] ?? v.trim().toLowerCase()) : v,
        z.enum(LOG_LEVELS),
      )
      .default('info'),
    // `json_format` (the deployment document's name) is accepted as an alias of this key.
    // null (the default) picks by where lines go: pretty on a terminal in development, JSON
    // otherwise (production, CI, a pipe, a log collector). See jsonLogs().
    json: z
      .preprocess((v) => {
        if (typeof v !== 'string') return v;
        const s = v.trim().toLowerCase();
        if (['true', '1', 'yes', 'on'].includes(s)) return true;
        if (['false', '0', 'no', 'off'].includes(s)) return false;
        if (['', 'auto', 'null'].includes(s)) return null;
        return v;
      }, z.boolean().nullable())
      .default(null),
    file: z.string().nullable().default(null),
    /**
     * Paths without an access-log line or correlation scope: probes hit these every few
     * seconds per pod, and logging each hit drowns the useful lines (and costs the probes).
     * `/x` matches exactly, `/x/*` everything below.
     */
    access_log_exclude: list(['/healthz', '/healthz/*', '/metrics']),
  })
  .prefault({});

export const loggingConfig = defineConfigSection({
  key: 'logging',
  schema: loggingSchema,
  env: { level: 'MIRA_LOG_LEVEL', json: 'MIRA_LOG_JSON', file: 'MIRA_LOG_FILE' },
  reload: { level: 'libs/logging (next log line)' },
  owner: 'libs/logging',
});

declare module '@mira/config' {
  interface MiraConfig extends ConfigSectionsOutput<typeof loggingConfig> {}
  interface MiraConfigInput extends ConfigSectionsInput<typeof loggingConfig> {}
}
