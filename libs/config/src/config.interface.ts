import type { MiraConfig } from './config.schema';

/** One changed key, as emitted after a successful swap. */
export interface ConfigChange<T = unknown> {
  path: string;
  previous: T;
  current: T;
}

export interface ConfigChangeEvent {
  changes: ConfigChange[];
  previous: MiraConfig;
  current: MiraConfig;
}

export type ConfigChangeListener = (event: ConfigChangeEvent) => void;

export interface ConfigModuleOptions {
  /** Config file path; `null` means no file. Default: MIRA_CONFIG_FILE, else config/mira.yaml if present. */
  file?: string | null;
  /** Environment to read overrides from (default process.env). */
  env?: Record<string, string | undefined>;
  /** Extra values layered between the file and the environment (tests, embedding). */
  overrides?: Record<string, unknown>;
  /** Working directory used to find the default file (default process.cwd()). */
  cwd?: string;
}

export type ConfigHealthState = 'healthy' | 'degraded';

export interface ConfigStatus {
  status: ConfigHealthState;
  reason: string | null;
  file: string | null;
  loaded_at: string;
  reloads: { ok: number; failed: number };
  /** Keys changed in the file that take effect only after a restart (running values still in force). */
  pending_restart: string[];
}

/**
 * A step that rewrites config values after validation, e.g. replacing `secret://name:key`
 * references. Returns the rewritten tree; throws a ConfigError to reject the config.
 */
export interface ConfigValueResolver {
  readonly name: string;
  resolve(config: MiraConfig): Promise<MiraConfig> | MiraConfig;
}
