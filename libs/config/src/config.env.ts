import { registry } from './config.section';

/**
 * Named variables (variable -> key path), e.g. MIRA_LOG_LEVEL, PORT: declared by each section's
 * `env` (defineConfigSection) and kept up to date as sections register.
 */
export const NAMED_ENV_VARS: Readonly<Record<string, string>> = registry().namedEnv;

/** Reference variables with no MIRA_<PATH> form of their own: variable -> old key (see config.compat). */
export const DEPRECATED_ENV_VARS: Readonly<Record<string, string>> = {
  MIRA_WEBHOOK_SECRET: 'webhook.secret_key',
};

/** Other tools' conventions (VAULT_ADDR), declared by each section's `fallbackEnv`; a MIRA_* variable for the same key wins. */
export const FALLBACK_ENV_VARS: Readonly<Record<string, string>> = registry().fallbackEnv;

/** Variables read by the service that are not config keys (documented, checked by deploy tests). */
export const OTHER_ENV_VARS = ['MIRA_CONFIG_FILE', 'NODE_ENV'] as const;

/** `governance.financial_threshold` -> `MIRA_GOVERNANCE__FINANCIAL_THRESHOLD`. */
export function envNameForPath(path: string): string {
  return `MIRA_${path.split('.').join('__').toUpperCase()}`;
}

export interface EnvLayer {
  /** A partial config tree built from the environment. */
  values: Record<string, unknown>;
  /** key path -> the variable that set it, so errors can name the variable. */
  sources: Map<string, string>;
}

/** Builds the environment layer: fallbacks, then generic `MIRA_A__B`, then named variables. */
export function readEnvLayer(env: Readonly<Record<string, string | undefined>>): EnvLayer {
  const values: Record<string, unknown> = {};
  const sources = new Map<string, string>();
  const set = (path: string, value: string, variable: string) => {
    setPath(values, path, value);
    sources.set(path, variable);
  };
  for (const [variable, path] of Object.entries(FALLBACK_ENV_VARS)) {
    const v = env[variable];
    if (v !== undefined && v !== '') set(path, v, variable);
  }
  for (const [variable, value] of Object.entries(env)) {
    if (value === undefined || !variable.startsWith('MIRA_') || !variable.includes('__')) continue;
    const parts = variable.slice('MIRA_'.length).toLowerCase().split('__').filter(Boolean);
    if (parts.length === 0) continue;
    set(parts.join('.'), value, variable);
  }
  for (const [variable, path] of Object.entries(NAMED_ENV_VARS)) {
    const v = env[variable];
    if (v !== undefined && v !== '') set(path, v, variable);
  }
  // The reference's variables land on their old key; applyCompat maps them and warns.
  for (const [variable, path] of Object.entries(DEPRECATED_ENV_VARS)) {
    const v = env[variable];
    if (v !== undefined && v !== '') set(path, v, variable);
  }
  return { values, sources };
}

export function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  let node: Record<string, unknown> = target;
  for (const part of parts.slice(0, -1)) {
    const next = node[part];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) node[part] = {};
    node = node[part] as Record<string, unknown>;
  }
  node[parts[parts.length - 1]] = value;
}
