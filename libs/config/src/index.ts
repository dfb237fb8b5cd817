export { ConfigModule } from './config.module';
export { CONFIG_MODULE_OPTIONS, type ConfigModuleDefinitionOptions } from './config.module-definition';
export { ConfigStore } from './config.store';
export { ConfigError, type ConfigErrorCode } from './config.error';
export {
  loadConfig,
  readConfigFile,
  parseConfigText,
  validateConfig,
  resolveConfigFile,
  DEFAULT_CONFIG_FILE,
  type LoadedConfig,
} from './config.loader';
export {
  readEnvLayer,
  envNameForPath,
  NAMED_ENV_VARS,
  FALLBACK_ENV_VARS,
  OTHER_ENV_VARS,
} from './config.env';
export { deepMerge, diffPaths, getPath, deepFreeze } from './config.merge';
export { miraConfigSchema, LOG_LEVELS, type MiraConfig, type MiraConfigInput } from './config.schema';
export type {
  ConfigChange,
  ConfigChangeEvent,
  ConfigChangeListener,
  ConfigModuleOptions,
  ConfigStatus,
  ConfigValueResolver,
} from './config.interface';
export { ConfigHealthIndicator } from './config.health';
