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

const flagsMapSchema = z.record(z.string(), flagDefinitionSchema);
const flagsFileSchema = z.string().min(1).nullable();
const legacySchema = bool(false);

export interface FeaturesSection {
  flags: Record<string, FlagDefinition>;
  flags_file: string | null;
  /** The deprecated boolean form. */
  [feature: string]: boolean | string | null | Record<string, FlagDefinition>;
}

/**
 * `features.flags.<key>`: flagd definitions; `features.flags_file`: a flagd JSON file merged under
 * them; any other `features.<name>: true|false` is the deprecated boolean form, served as a
 * boolean flag `<name>` (variants on/off). A record, not an object with a catchall (sections are
 * strict objects or records): each key is parsed by its own schema and problems keep their path.
 */
export const featuresSchema = z
  .record(z.string(), z.unknown())
  .transform((raw, ctx) => {
    const out: FeaturesSection = { flags: {}, flags_file: null };
    for (const [key, value] of Object.entries(raw)) {
      const schema = key === 'flags' ? flagsMapSchema : key === 'flags_file' ? flagsFileSchema : legacySchema;
      const parsed = schema.safeParse(value);
      if (!parsed.success) {
        for (const issue of parsed.error.issues)
          ctx.addIssue({
            code: 'custom',
            path: [key, ...issue.path] as PropertyKey[],
            message: issue.message,
          });
        continue;
      }
      out[key] = parsed.data as FeaturesSection[string];
    }
    return out;
  })
  .default({ flags: {}, flags_file: null });

export const featuresConfig = defineConfigSection({
  key: 'features',
  schema: featuresSchema,
  reload: {
    '*': 'ConfigFlagProvider (PROVIDER_CONFIGURATION_CHANGED, read on every evaluation)',
    'flags.**': 'ConfigFlagProvider (PROVIDER_CONFIGURATION_CHANGED, read on every evaluation)',
  },
  recordKeys: { '': '<feature>', flags: '<flag_key>' },
  owner: 'libs/flags',
});

declare module '@mira/config' {
  interface MiraConfig extends ConfigSectionsOutput<typeof featuresConfig> {}
  interface MiraConfigInput extends ConfigSectionsInput<typeof featuresConfig> {}
}
