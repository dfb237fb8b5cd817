import { z } from 'zod';
import { configValue, defineConfigSection } from '@mira/config';
import type { ConfigSectionsInput, ConfigSectionsOutput } from '@mira/config';
import { formatPath, validateFlagDefinition } from './flags.validate';

const { bool } = configValue;

const variantValue = z.union([
  z.boolean(),
  z.string(),
  z.number(),
  z.record(z.string(), z.unknown()),
  z.array(z.unknown()),
]);

/** One flag in the flagd format (https://flagd.dev/reference/flag-definitions/). */
export const flagDefinitionSchema = z
  .strictObject({
    state: z.enum(['ENABLED', 'DISABLED']).default('ENABLED'),
    variants: z.record(z.string(), variantValue),
    defaultVariant: z.string().nullable(),
    targeting: z.record(z.string(), z.unknown()).optional(),
    metadata: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
  })
  .superRefine((flag, ctx) => {
    for (const p of validateFlagDefinition(flag))
      ctx.addIssue({ code: 'custom', path: p.path, message: `${formatPath(p.path)}: ${p.message}` });
  });

export type FlagDefinition = z.output<typeof flagDefinitionSchema>;

const RESERVED = new Set(['flags', 'flags_file']);

/**
 * `features.flags.<key>`: flagd definitions; `features.flags_file`: a flagd JSON file merged under
 * them; any other `features.<name>: true|false` is the deprecated boolean form, served as a
 * boolean flag `<name>` (variants on/off) and moved to `legacy` on parse. Sections are strict
 * objects, so the free-form keys are gathered first and the result validated strictly.
 */
const parsedFeaturesSchema = z.strictObject({
  flags: z.record(z.string(), flagDefinitionSchema).default({}),
  flags_file: z.string().min(1).nullable().default(null),
  legacy: z.record(z.string(), bool(false)).default({}),
});

export const featuresSchema = z
  .record(z.string(), z.unknown())
  .transform((raw) => {
    // `features.legacy.<name>` (as documented) and `features.<name>` (as written before) both work.
    const given = raw.legacy;
    const legacy: Record<string, unknown> =
      given && typeof given === 'object' && !Array.isArray(given) ? { ...given } : {};
    for (const [k, v] of Object.entries(raw)) if (!RESERVED.has(k) && k !== 'legacy') legacy[k] = v;
    return { flags: raw.flags, flags_file: raw.flags_file, legacy } as z.input<typeof parsedFeaturesSchema>;
  })
  .pipe(parsedFeaturesSchema)
  .prefault({});

export type FeaturesSection = z.output<typeof featuresSchema>;

export const featuresConfig = defineConfigSection({
  key: 'features',
  schema: featuresSchema,
  reload: {
    '*': 'ConfigFlagProvider (features.<feature>: true|false as written, deprecated)',
    flags_file:
      'FlagsService (re-read on every config reload; with hot_reload, watched every config.poll_interval)',
    'flags.**': 'ConfigFlagProvider (PROVIDER_CONFIGURATION_CHANGED, read on every evaluation)',
    'legacy.*': 'ConfigFlagProvider (written features.<feature>: true|false, deprecated)',
  },
  recordKeys: {
    flags: '<flag_key>',
    legacy: '<feature>',
    'flags.<flag_key>.variants': '<variant>',
    'flags.<flag_key>.targeting': '<operator>',
    'flags.<flag_key>.metadata': '<name>',
  },
  owner: 'libs/flags',
});

declare module '@mira/config' {
  interface MiraConfig extends ConfigSectionsOutput<typeof featuresConfig> {}
  interface MiraConfigInput extends ConfigSectionsInput<typeof featuresConfig> {}
}
