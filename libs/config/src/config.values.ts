import { bool, int, list, num, splitCommas } from './config.schema';

/**
 * Value schemas for config sections that accept both the typed value (YAML/JSON) and its string
 * form (MIRA_* variables): `int(default, min, max)`, `num(...)`, `bool(default)`, `list(default)`
 * (comma-separated in env), and `splitCommas` for a preprocess of your own.
 */
export const configValue = { int, num, bool, list, splitCommas } as const;
