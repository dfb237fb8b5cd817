import type { FeaturesSection, FlagDefinition } from './flags.config';

export interface FlagSet {
  flags: Record<string, FlagDefinition>;
  /** Deprecated `features.<name>: true|false` keys served as boolean flags. */
  legacy: string[];
}

/**
 * The flagd flag set the config provider serves: the legacy booleans first (a boolean flag with
 * variants on/off), then the file, then `features.flags` (the later wins for the same key).
 */
export function buildFlagSet(
  section: FeaturesSection,
  fromFile: Record<string, FlagDefinition> = {},
): FlagSet {
  const flags: Record<string, FlagDefinition> = {};
  const legacy: string[] = [];
  for (const [name, value] of Object.entries(section.legacy)) {
    legacy.push(name);
    flags[name] = {
      state: 'ENABLED',
      variants: { on: true, off: false },
      defaultVariant: value ? 'on' : 'off',
    };
  }
  Object.assign(flags, fromFile, section.flags);
  return { flags, legacy };
}

/** A one-line summary of a definition for the change log: state, default and whether it targets. */
export function summarise(flag: FlagDefinition | undefined): string {
  if (!flag) return 'absent';
  const dflt =
    flag.defaultVariant === null
      ? 'null'
      : `${flag.defaultVariant}=${JSON.stringify(flag.variants[flag.defaultVariant])}`;
  const targeting =
    flag.targeting && Object.keys(flag.targeting).length > 0 ? Object.keys(flag.targeting).join('+') : 'none';
  return `${flag.state.toLowerCase()}, default ${dflt}, targeting ${targeting}`;
}
